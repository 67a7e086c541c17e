import type { InstanceError, InstanceSnapshot, InstanceState, LoadInfo, ReflectionRecord, Role } from './instances.js';
import type { BoardResources } from './board.js';
import type { DataFolderStatus } from './dataFolder.js';
import type { MetricsFrame } from './metrics.js';
import type { PlanOutcome } from './plan.js';
import type { Settings } from './settings.js';
import type { DeathRecord, LifeRecord } from './transcript.js';
import type { Crossing, EnforcementInfo, KillReason, LineMechanism, ThermalState } from './watchdog.js';

/**
 * Every event the host emits, named by what happened. The same objects go to the renderer (IPC or WebSocket), to
 * stdout with --json-events (one per line), and, except those kept elsewhere (NOT_IN_EVENTS_FILE), to the session's
 * events.jsonl.
 */
export type HostEvent = (
  | HostReadyEvent
  | InstanceStateEvent
  | InstanceProgressEvent
  | InstanceLoadedEvent
  | InstanceLifeEvent
  | InstanceTokensEvent
  | InstanceReflectionEvent
  | InstanceDeathEvent
  | InstanceErrorEvent
  | TranscriptWrittenEvent
  | MetricsFrameEvent
  | PlanChangedEvent
  | SettingsChangedEvent
  | BoardResourcesEvent
  | WatchdogStartedEvent
  | WatchdogThresholdsEvent
  | WatchdogSamplesEvent
  | WatchdogSpikeEvent
  | WatchdogCriticalEvent
  | WatchdogRecoveredEvent
  | WatchdogKillEvent
  | WatchdogThermalEvent
  | InstanceHeldEvent
  | InstanceLayersReducedEvent
  | InstanceToldEvent
  | HostModeEvent
  | StoreDiskEvent
  | LogEvent
) & {
  /** When the host emitted it, epoch ms. */
  at: number;
};

export type HostEventType = HostEvent['type'];

/** An event as its source hands it to the host, which stamps `at` (a source that knows the moment gives it). */
export type UnstampedEvent = HostEvent extends infer E
  ? E extends HostEvent
    ? Omit<E, 'at'> & { at?: number }
    : never
  : never;

/** The host is serving; `url` carries the token a browser needs. */
export interface HostReadyEvent {
  type: 'host.ready';
  url: string;
  sessionId: string;
  dataDir: string;
}

export interface InstanceStateEvent {
  type: 'instance.state';
  instance: Role;
  state: InstanceState;
  pid: number | null;
  /** Why the instance is in this state, when that is worth saying ("waiting: memory above warn level"). */
  detail?: string;
}

/** Model load progress, 0..1. */
export interface InstanceProgressEvent {
  type: 'instance.progress';
  instance: Role;
  progress: number;
}

export interface InstanceLoadedEvent {
  type: 'instance.loaded';
  instance: Role;
  pid: number;
  load: LoadInfo;
}

/** A new life began: the record written to the transcript, whose prompt states how many times it has died. */
export type InstanceLifeEvent = Omit<LifeRecord, 'v' | 'kind'> & { type: 'instance.life' };

/** Streamed text, batched by the worker (about every 50 ms). */
export interface InstanceTokensEvent {
  type: 'instance.tokens';
  instance: Role;
  /** The reflection these tokens belong to. */
  n: number;
  text: string;
  /** How many tokens `text` holds. */
  tokens: number;
}

export interface InstanceReflectionEvent {
  type: 'instance.reflection';
  instance: Role;
  record: ReflectionRecord;
}

/** A death: the record written to the transcript (its `at` is the moment of death), and when it comes back. */
export type InstanceDeathEvent = Omit<DeathRecord, 'v' | 'kind'> & {
  type: 'instance.death';
  /** Epoch ms of the planned resurrection, or null when it will not come back by itself. */
  resurrectAt: number | null;
};

/** Something went wrong that is not a death: an invalid model file, a refused start. */
export interface InstanceErrorEvent {
  type: 'instance.error';
  instance: Role;
  error: InstanceError;
}

/** A record reached the transcript file (written in one append, before the next reflection starts). */
export interface TranscriptWrittenEvent {
  type: 'transcript.written';
  instance: Role;
  file: string;
  /** 1-based line number of the record in the file. */
  line: number;
  kind: TranscriptRecordKind;
}

export type TranscriptRecordKind = 'life' | 'reflection' | 'death';

export interface MetricsFrameEvent {
  type: 'metrics.frame';
  frame: MetricsFrame;
}

/** The offload plan was (re)made: at start, after a settings change, after the board was measured again. */
export interface PlanChangedEvent {
  type: 'plan.changed';
  outcome: PlanOutcome;
}

export interface SettingsChangedEvent {
  type: 'settings.changed';
  settings: Settings;
  /** The fields that changed. */
  changed: string[];
  /** Those fields' values before the change, for the log's "old -> new" (absent in events recorded before). */
  previous?: Partial<Settings>;
}

export interface BoardResourcesEvent {
  type: 'board.resources';
  resources: BoardResources;
}

/** The figures the watchdog acts on: these settings, as it uses them. */
export type WatchdogThresholds = Pick<
  Settings,
  'gpuThreshold' | 'ramThreshold' | 'warnThreshold' | 'intervalS' | 'graceS' | 'thermalC'
>;

export type WatchdogStartedEvent = WatchdogThresholds & {
  type: 'watchdog.started';
  enforcement: EnforcementInfo;
};

/** Sent by the watchdog on the first sample that uses changed thresholds (after a change in the panel, say). */
export type WatchdogThresholdsEvent = WatchdogThresholds & {
  type: 'watchdog.thresholds';
  /** The fields that differ from before. */
  changed: Array<keyof WatchdogThresholds>;
};

/** The samples taken since the last batch (about one batch a second). */
export interface WatchdogSamplesEvent {
  type: 'watchdog.samples';
  samples: Array<{ t: number; ramPercent: number; gpuPercent: number | null; intervalMs: number }>;
}

/** A rise of more than 10 points between two samples, as the original reported. */
export interface WatchdogSpikeEvent {
  type: 'watchdog.spike';
  metric: 'ram' | 'gpu';
  fromPercent: number;
  toPercent: number;
}

/** A threshold or a limit is crossed; the watchdog re-reads before it acts. */
export type WatchdogCriticalEvent = Crossing & { type: 'watchdog.critical' };

/** The re-read found memory back under the line: nobody is killed. The crossing it first saw. */
export type WatchdogRecoveredEvent = Crossing & { type: 'watchdog.recovered' };

export interface WatchdogKillEvent {
  type: 'watchdog.kill';
  instance: Role;
  reason: KillReason;
  signal: 'SIGTERM' | 'SIGKILL';
  pid: number;
  memoryBytes: number | null;
  limitBytes: number | null;
  ramPercent: number;
  gpuPercent: number | null;
  /** From the sample that first saw the crossing (or the kernel's notification of it) to this signal. */
  reactionMs: number;
  /** What saw the line crossed: the watchdog's polling, or the kernel's threshold read off the main thread. */
  by: LineMechanism;
}

export interface WatchdogThermalEvent {
  type: 'watchdog.thermal';
  thermal: ThermalState;
}

/** An instance that wants to start (or come back) is held: memory above the warn level, or it does not fit. */
export interface InstanceHeldEvent {
  type: 'instance.held';
  instance: Role;
  /** Why, or null when the hold is lifted. */
  reason: string | null;
}

/** After a GPU-threshold kill the instance comes back with fewer GPU layers. */
export interface InstanceLayersReducedEvent {
  type: 'instance.layers';
  instance: Role;
  fromLayers: number;
  toLayers: number;
}

/** A watcher was told what happened to a mind it watches (with its next reflection). */
export interface InstanceToldEvent {
  type: 'instance.told';
  /** The watcher. */
  instance: Role;
  about: Role;
  message: string;
}

/** The mode changed (single <-> matrix): the instances now running. */
export interface HostModeEvent {
  type: 'host.mode';
  mode: 'single' | 'matrix';
  instances: InstanceSnapshot[];
}

/**
 * The data folder's disk: sent at start, when its state changes (a full disk: "disk full: transcripts paused"; space
 * back: resumed; low), and with fresh figures about once a minute. The state changes are also said as log lines.
 */
export type StoreDiskEvent = DataFolderStatus & { type: 'store.disk' };

export interface LogEvent {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  /** Who speaks, in the form "host", "SUBJECT 1234", "llama.cpp SUBJECT". */
  source: string;
  message: string;
}

/** Events that are too frequent for the events log on disk (they are still streamed). */
export const EPHEMERAL_EVENT_TYPES: ReadonlySet<HostEventType> = new Set<HostEventType>([
  'instance.tokens',
  'instance.progress',
  'metrics.frame',
  'watchdog.samples',
]);

/**
 * Events not written to events.jsonl: the streamed ones, and reflections, whose one record is the transcript's.
 * (Sessions written before kept reflections there too; readers of events.jsonl must take them or leave them.)
 */
export const NOT_IN_EVENTS_FILE: ReadonlySet<HostEventType> = new Set<HostEventType>([
  ...EPHEMERAL_EVENT_TYPES,
  'instance.reflection',
]);

/**
 * Events the panel's event log does not list: the streamed ones, and those whose content lives elsewhere (the
 * transcript, the cards, the plan tab). The host keeps its recent-events ring for the rest, so a flood of
 * reflections never pushes a death out of what a newly connected panel sees.
 */
const NOT_IN_EVENT_LOG: ReadonlySet<HostEventType> = new Set<HostEventType>([
  ...EPHEMERAL_EVENT_TYPES,
  'transcript.written',
  'instance.reflection',
  'board.resources',
  'host.mode',
  'store.disk',
]);

export function isLogWorthy(event: HostEvent): boolean {
  return !NOT_IN_EVENT_LOG.has(event.type);
}
