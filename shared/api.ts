import type { BoardResources } from './board.js';
import type { DataFolderStatus } from './dataFolder.js';
import type { ApiResult } from './errors.js';
import type { HostEvent } from './events.js';
import type { HistoryPage, SessionList, TokenInfo } from './history.js';
import type { InstanceSnapshot, Role } from './instances.js';
import { ROLES } from './instances.js';
import type { MetricsFrame } from './metrics.js';
import type { PlanOutcome } from './plan.js';
import * as s from './schema.js';
import { inOperatorWords } from './settingNames.js';
import { SETTINGS_PATCH, type Settings, type SETTING_APPLIES } from './settings.js';
import type { WatchdogStatus } from './watchdog.js';

/** The whole state a client needs on connect; after it, only events. */
export interface HostSnapshot {
  sessionId: string;
  dataDir: string;
  mode: 'single' | 'matrix';
  instances: InstanceSnapshot[];
  /** Metrics history from the host's ring buffer, oldest first. */
  metrics: MetricsFrame[];
  /** Recent events worth showing in the event log, oldest first. */
  events: HostEvent[];
  settings: SettingsView;
  resources: BoardResources;
  /** The current offload plan, or why there is none. */
  plan: PlanOutcome;
  watchdog: WatchdogStatus;
  /** Errors the host's last-resort handlers caught since it started (each one a bug); 0 is the only good value. */
  caught?: number;
  /** The data folder's disk: ok, low or full (transcripts paused), its free space and what the folder holds. */
  disk?: DataFolderStatus;
}

export interface SettingsView {
  settings: Settings;
  /** Whether each setting applies live or on the next start. */
  applies: typeof SETTING_APPLIES;
  /** Set when settings.json was damaged at start and the defaults are in use. */
  notice: string | null;
}

/**
 * How this build knows an architecture: tested (generated models of it load and think in the tests), known (llama.cpp
 * loads it, not tested here), recurrent (known; its state is estimated like an attention cache), refused (not a
 * language model that can write reflections).
 */
export type ArchitectureStatus = 'tested' | 'known' | 'recurrent' | 'refused';

/** What `models.check` says about a file. */
export interface ModelCheck {
  path: string;
  architecture: string;
  name: string;
  /** All parts together, for a split model. */
  sizeBytes: number;
  blockCount: number;
  /** Files the model is split into (1 for a single file). */
  parts?: number;
  support?: ArchitectureStatus;
}

const role = s.literalUnion(ROLES);

/** A settings change, refused in the operator's words ("SUBJECT's RAM limit must be ..."). */
const OPERATOR_PATCH = s.reworded(SETTINGS_PATCH, inOperatorWords);

/**
 * Every method of the api: its params schema. The host validates every inbound payload against these before it
 * reaches the implementation in electron/core/api.ts.
 */
export const METHODS = {
  /** The full state, for a client that (re)connects. */
  'host.snapshot': s.object({}),
  /** Start an instance (default: every instance of the current mode). Resets the resurrection back-off. */
  'instances.start': s.object({ instance: s.optional(role) }),
  /** Stop gracefully: the current reflection is written as last words, no death is counted. */
  'instances.stop': s.object({ instance: s.optional(role) }),
  /** Kill now (SIGKILL): counted as a death with cause "killed"; it is resurrected as after any death. */
  'instances.kill': s.object({ instance: role }),
  /** Check a model file without loading it. */
  'models.check': s.object({ path: s.string({ minLength: 1 }) }),
  'settings.get': s.object({}),
  /** Change settings: refused whole (nothing changes) when any field is invalid or the limits exceed the board. */
  'settings.set': OPERATOR_PATCH,
  /** The current offload plan. */
  'plan.get': s.object({}),
  /** The plan these settings would give, without changing anything. */
  'plan.preview': s.reworded(s.object({ patch: SETTINGS_PATCH }), inOperatorWords),
  /** Measure the board again (RAM, GPU, backend) and re-plan. */
  'board.refresh': s.object({}),
  /**
   * Single <-> matrix, live: the instances stop gracefully (their last records written), the plan is made again, the
   * new mode's instances start. Refused, changing nothing, when the budget does not allow the new mode.
   */
  'mode.switch': s.object({ mode: s.literalUnion(['single', 'matrix'] as const) }),
  /** Sessions of the data folder, newest first, a page at a time. */
  'history.list': s.object({
    offset: s.optional(s.number({ min: 0, max: 1e6, integer: true })),
    limit: s.optional(s.number({ min: 1, max: 50, integer: true })),
  }),
  /** A page of one session's records: an instance's transcript or deaths, or the events; from a byte offset. */
  'history.read': s.object({
    session: s.string({ minLength: 1, maxLength: 100 }),
    part: s.literalUnion(['transcript', 'deaths', 'events'] as const),
    instance: s.optional(role),
    from: s.optional(s.number({ min: 0, max: Number.MAX_SAFE_INTEGER, integer: true })),
    limit: s.optional(s.number({ min: 1, max: 200, integer: true })),
  }),
  /** When the panel's token was made, and whether it has been served beyond loopback. */
  'token.info': s.object({}),
  /** Replace the panel's token: every open page but the caller must be reopened with the new address. */
  'token.renew': s.object({}),
} as const;

/** Methods the host's transports serve (history, the token) rather than the host itself. */
export const PANEL_METHODS = ['history.list', 'history.read', 'token.info', 'token.renew'] as const;
export type PanelMethod = (typeof PANEL_METHODS)[number];

export type MethodName = keyof typeof METHODS;
export type MethodParams<M extends MethodName> = s.Infer<(typeof METHODS)[M]>;

export interface MethodResults {
  'host.snapshot': HostSnapshot;
  'instances.start': InstanceSnapshot[];
  'instances.stop': InstanceSnapshot[];
  'instances.kill': InstanceSnapshot;
  'models.check': ModelCheck;
  'settings.get': SettingsView;
  'settings.set': SettingsView;
  'plan.get': PlanOutcome;
  'plan.preview': PlanOutcome;
  'board.refresh': BoardResources;
  'mode.switch': { mode: 'single' | 'matrix'; instances: InstanceSnapshot[] };
  'history.list': SessionList;
  'history.read': HistoryPage;
  'token.info': TokenInfo;
  /** The new token; the caller reconnects with it. */
  'token.renew': TokenInfo & { token: string };
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** What every transport offers the renderer: typed calls, and a subscription that returns its own unsubscribe. */
export interface JarClient {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<ApiResult<MethodResults[M]>>;
  /** Delivers a snapshot first, then every event; the returned function unsubscribes. */
  subscribe(listener: (message: ServerPush) => void): () => void;
  /** Under Electron only: the native file dialog for a model; resolves with the path, or null if cancelled. */
  chooseModel?(): Promise<string | null>;
}

/** What the host pushes to a subscribed client. */
export type ServerPush = { kind: 'snapshot'; snapshot: HostSnapshot } | { kind: 'event'; event: HostEvent };

/** A request on the wire (WebSocket) or the invoke channel (Electron). */
export interface WireRequest {
  id: number;
  method: string;
  params: unknown;
}

/** A reply on the wire, matched to its request by id. */
export type WireReply = { id: number } & ApiResult<unknown>;

/** Electron channel names, shared by main and preload. */
export const IPC_CHANNELS = {
  call: 'jar:call',
  subscribe: 'jar:subscribe',
  push: 'jar:push',
  chooseModel: 'jar:choose-model',
} as const;

/** Largest message the web transport accepts (bytes). Bigger ones are refused with TOO_LARGE. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export type { Role };
