import type { HostSnapshot, ServerPush, SettingsView } from '../../shared/api.js';
import type { BoardResources } from '../../shared/board.js';
import type { DataFolderStatus } from '../../shared/dataFolder.js';
import { isLogWorthy, type HostEvent } from '../../shared/events.js';
import type { InstanceSnapshot, Role } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import type { PlanOutcome } from '../../shared/plan.js';
import type { DeathSummary } from '../../shared/postMortem.js';
import type { WatchdogStatus } from '../../shared/watchdog.js';
import { addDeath, DEATHS_KEPT } from './deaths.js';

/**
 * The panel's state: the host's snapshot, then every event applied to it. Pure (no DOM, no React), so it is tested
 * in Node; the components only read it.
 */

/** Per instance, what the card shows, plus a detail line for the state. */
export interface InstanceView extends InstanceSnapshot {
  detail: string | null;
}

export interface PanelState {
  /** False until the first snapshot arrives. */
  ready: boolean;
  sessionId: string;
  dataDir: string;
  mode: HostSnapshot['mode'];
  instances: InstanceView[];
  metrics: MetricsFrame[];
  events: HostEvent[];
  settings: SettingsView | null;
  resources: BoardResources | null;
  plan: PlanOutcome | null;
  watchdog: WatchdogStatus | null;
  /** The data folder's disk: ok, low, or full with transcripts paused. */
  disk: DataFolderStatus | null;
  /** The latest deaths with their post-mortem figures, oldest first (see deaths.ts). */
  deaths: DeathSummary[];
}

/** Bounds on what the panel keeps, however long it runs. */
export const LIMITS = {
  metrics: 3600,
  metricsMaxAgeMs: 60 * 60 * 1000,
  events: 500,
  reflections: 50,
  /** A streamed reflection longer than this keeps only its end on screen. */
  partialChars: 20_000,
};

export const initialPanelState: PanelState = {
  ready: false,
  sessionId: '',
  dataDir: '',
  mode: 'single',
  instances: [],
  metrics: [],
  events: [],
  settings: null,
  resources: null,
  plan: null,
  watchdog: null,
  disk: null,
  deaths: [],
};

export function applyPush(state: PanelState, push: ServerPush): PanelState {
  if (push.kind === 'snapshot') return fromSnapshot(push.snapshot);
  return applyEvent(state, push.event);
}

export function fromSnapshot(snapshot: HostSnapshot): PanelState {
  return {
    ready: true,
    sessionId: snapshot.sessionId,
    dataDir: snapshot.dataDir,
    mode: snapshot.mode,
    instances: snapshot.instances.map((instance) => ({ ...instance, detail: null })),
    metrics: snapshot.metrics.slice(-LIMITS.metrics),
    events: snapshot.events.filter(isLogWorthy).slice(-LIMITS.events),
    settings: snapshot.settings,
    resources: snapshot.resources,
    plan: snapshot.plan,
    watchdog: snapshot.watchdog,
    disk: snapshot.disk ?? null,
    deaths: (snapshot.deaths ?? []).slice(-DEATHS_KEPT),
  };
}

function withWatchdog(state: PanelState, change: (status: WatchdogStatus) => WatchdogStatus): PanelState {
  return state.watchdog ? { ...state, watchdog: change(state.watchdog) } : state;
}

function updateInstance(state: PanelState, role: Role, change: (view: InstanceView) => InstanceView): PanelState {
  let changed = false;
  const instances = state.instances.map((view) => {
    if (view.instance !== role) return view;
    changed = true;
    return change(view);
  });
  return changed ? { ...state, instances } : state;
}

function withEvent(state: PanelState, event: HostEvent): PanelState {
  if (!isLogWorthy(event)) return state;
  const events = state.events.length >= LIMITS.events ? state.events.slice(1 - LIMITS.events) : state.events.slice();
  events.push(event);
  return { ...state, events };
}

export function applyEvent(previous: PanelState, event: HostEvent): PanelState {
  const state = withEvent(previous, event);
  switch (event.type) {
    case 'instance.state':
      return updateInstance(state, event.instance, (view) => ({
        ...view,
        state: event.state,
        pid: event.pid,
        detail: event.detail ?? null,
        loadProgress: event.state === 'loading' ? (view.loadProgress ?? 0) : null,
        resurrectAt: event.state === 'dead' ? view.resurrectAt : null,
        partial: event.state === 'loading' ? null : view.partial,
      }));
    case 'instance.progress':
      return updateInstance(state, event.instance, (view) => ({ ...view, loadProgress: event.progress }));
    case 'instance.loaded':
      return updateInstance(state, event.instance, (view) => ({
        ...view,
        load: event.load,
        modelPath: event.load.modelPath,
        demoModel: event.load.demo,
        loadProgress: null,
        error: null,
      }));
    case 'instance.life':
      return updateInstance(state, event.instance, (view) => ({
        ...view,
        systemPrompt: event.systemPrompt,
        deaths: event.deaths,
      }));
    case 'instance.tokens':
      return updateInstance(state, event.instance, (view) => {
        const base = view.partial && view.partial.n === event.n ? view.partial : null;
        const text = (base?.text ?? '') + event.text;
        return {
          ...view,
          partial: {
            n: event.n,
            deaths: view.deaths,
            startedAt: base?.startedAt ?? Date.now(),
            text: text.length > LIMITS.partialChars ? text.slice(-LIMITS.partialChars) : text,
          },
        };
      });
    case 'instance.reflection':
      return updateInstance(state, event.instance, (view) => ({
        ...view,
        reflections: [...view.reflections.slice(1 - LIMITS.reflections), event.record],
        partial: view.partial?.n === event.record.n ? null : view.partial,
      }));
    case 'instance.death':
      return updateInstance(
        event.postMortem ? { ...state, deaths: addDeath(state.deaths, event.postMortem) } : state,
        event.instance,
        (view) => ({
          ...view,
          deaths: event.deaths,
          resurrectAt: event.resurrectAt,
          partial: null,
        }),
      );
    case 'instance.error':
      return updateInstance(state, event.instance, (view) => ({ ...view, error: event.error }));
    case 'plan.changed':
      return { ...state, plan: event.outcome };
    case 'settings.changed':
      return state.settings ? { ...state, settings: { ...state.settings, settings: event.settings } } : state;
    case 'board.resources':
      return { ...state, resources: event.resources };
    case 'host.mode':
      return {
        ...state,
        mode: event.mode,
        instances: event.instances.map((instance) => ({ ...instance, detail: null })),
      };
    case 'watchdog.started':
      return withWatchdog(state, (status) => ({ ...status, enforcement: event.enforcement }));
    case 'watchdog.thermal':
      return withWatchdog(state, (status) => ({ ...status, thermal: event.thermal }));
    case 'instance.held':
      return withWatchdog(state, (status) => {
        const holding = { ...status.holding };
        if (event.reason === null) delete holding[event.instance];
        else holding[event.instance] = event.reason;
        return { ...status, holding };
      });
    case 'instance.layers':
      return withWatchdog(state, (status) => ({
        ...status,
        layerCaps: { ...status.layerCaps, [event.instance]: event.toLayers },
      }));
    case 'store.disk': {
      const { type: _type, at: _at, ...disk } = event;
      return { ...state, disk };
    }
    case 'metrics.frame': {
      const cutoff = event.frame.t - LIMITS.metricsMaxAgeMs;
      let start = Math.max(0, state.metrics.length + 1 - LIMITS.metrics);
      while (start < state.metrics.length && state.metrics[start]!.t < cutoff) start++;
      const metrics = state.metrics.slice(start);
      metrics.push(event.frame);
      const instances = state.instances.map((view) => {
        const memory = event.frame.instances[view.instance]?.rssBytes ?? null;
        return memory === view.memoryBytes ? view : { ...view, memoryBytes: memory };
      });
      return { ...state, metrics, instances };
    }
    default:
      return state;
  }
}
