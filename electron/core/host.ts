import fs from 'node:fs';
import path from 'node:path';

import type { HostSnapshot, ModelCheck, SettingsView } from '../../shared/api.js';
import type { BoardResources } from '../../shared/board.js';
import { EPHEMERAL_EVENT_TYPES, isLogWorthy, type HostEvent } from '../../shared/events.js';
import type { InstanceSnapshot, Observation, Role } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import type { PlanOutcome } from '../../shared/plan.js';
import type { WatchdogStatus } from '../../shared/watchdog.js';
import {
  applySettingsPatch,
  crossFieldProblem,
  SETTING_APPLIES,
  type Settings,
  type SettingsPatch,
} from '../../shared/settings.js';
import { ApiFailure, createApi, type Api } from './api.js';
import { probeBackend } from './board/backendProbe.js';
import { readLiveInputs, resourcesFrom } from './board/resources.js';
import type { Flags } from './cli/args.js';
import { flagsToSettingsPatch } from './cli/settingFlags.js';
import { ensureDemoModel } from './demoModel.js';
import { validateModel } from './gguf/validateModel.js';
import { eventLogger, type Logger } from './logger.js';
import { planForSettings, ramLimitBytes, rolesOf } from './planner/planInputs.js';
import { detectEnforcement, type Enforcement } from './enforcement/enforcement.js';
import { RingBuffer } from './ringBuffer.js';
import { Sampler } from './sampler/sampler.js';
import { defaultDataDir } from './store/dataDir.js';
import { DeathCountStore } from './store/deathCounts.js';
import { SessionStore } from './store/sessionStore.js';
import { SettingsStore } from './store/settingsStore.js';
import { InstanceSupervisor, type LaunchResult } from './supervisor/instanceSupervisor.js';
import { Admission } from './matrix/admission.js';
import { ObservationDesk, WATCHES } from './matrix/observation.js';
import { reducedLayers } from './watchdog/policy.js';
import { Watchdog, type RunnerConfig } from './watchdog/watchdog.js';
import { WatchdogLogFile } from './watchdog/watchdogLog.js';

export type EventListener = (event: HostEvent) => void;

/** Metrics history kept for a client that connects: an hour at the default 1 s interval. */
const METRICS_CAPACITY = 3600;
const METRICS_MAX_AGE_MS = 60 * 60 * 1000;
/** Events kept for the panel's event log. */
const EVENTS_CAPACITY = 500;
/** Memory frames go to the panel at most this often; the watchdog sees every sample. */
const FRAME_EVERY_MS = 1000;
/** Plan errors the operator can resolve (a limit raised, another instance stopped): an instance waits for them. */
const RESOLVABLE_PLAN_ERRORS = new Set(['MODEL_TOO_LARGE', 'PLAN_DOES_NOT_FIT', 'BUDGET_EXCEEDED']);

/**
 * The host: everything the app does, without Electron. It owns the instances, the plan, the sampler and the files,
 * and speaks to the outside only through events (subscribe) and the api table (api.call). The Electron shell and the
 * headless entry point both run exactly this.
 */
export class Host {
  readonly api: Api;
  readonly store: SessionStore;
  readonly log: Logger;
  private readonly listeners = new Set<EventListener>();
  private readonly instances = new Map<Role, InstanceSupervisor>();
  private readonly metrics = new RingBuffer<MetricsFrame>(METRICS_CAPACITY, METRICS_MAX_AGE_MS, (frame) => frame.t);
  private readonly recentEvents = new RingBuffer<HostEvent>(EVENTS_CAPACITY, Number.POSITIVE_INFINITY, () => 0);
  private sampler: Sampler | null = null;
  private watchdog: Watchdog | null = null;
  private readonly enforcement: Enforcement & { dispose?: () => void };
  private readonly watchdogLog: WatchdogLogFile;
  private readonly lineListeners = new Set<(line: string) => void>();
  private readonly layerCaps: Partial<Record<Role, number>> = {};
  private lastFrameSentAt = 0;
  private readonly settingsStore: SettingsStore;
  /** Settings the command line states for this run, laid over the saved ones until the operator changes them. */
  private overrides: SettingsPatch;
  private resources: BoardResources;
  private plan: PlanOutcome;
  private demoModelPath: string | null = null;
  private repaired: string[] = [];
  private readonly deathCounts: DeathCountStore;
  private readonly desk = new ObservationDesk();
  private readonly admission = new Admission();
  private closed = false;

  private constructor(
    readonly flags: Flags,
    readonly dataDir: string,
    resources: BoardResources,
  ) {
    this.store = new SessionStore(dataDir);
    this.log = eventLogger((event) => this.emit(event));
    this.settingsStore = new SettingsStore(this.store.paths.settings);
    this.overrides = flagsToSettingsPatch(flags);
    this.resources = resources;
    this.plan = this.makePlan(this.settings);
    this.enforcement = detectEnforcement();
    this.watchdogLog = new WatchdogLogFile(path.join(this.store.paths.logs, 'watchdog.log'));
    this.deathCounts = new DeathCountStore(this.store.paths.deaths);
    for (const role of rolesOf(this.settings.mode)) this.instances.set(role, this.createSupervisor(role));
    this.api = createApi({
      snapshot: () => this.snapshot(),
      startInstances: (role) => this.startInstances(role),
      stopInstances: (role) => this.stopInstances(role),
      killInstance: (role) => this.killInstance(role),
      checkModel: (file) => this.checkModel(file),
      settings: () => this.settingsView(),
      setSettings: (patch) => this.setSettings(patch),
      plan: () => this.plan,
      previewPlan: (patch) => this.makePlan(applySettingsPatch(this.settings, patch)),
      refreshBoard: () => this.refreshBoard(),
      switchMode: (mode) => this.switchMode(mode),
    });
  }

  private createSupervisor(role: Role): InstanceSupervisor {
    const supervisor = new InstanceSupervisor({
      role,
      store: this.store,
      deathCounts: this.deathCounts,
      emit: (event) => this.emit(event),
      log: this.log,
      launchConfig: () => this.launchConfig(role),
      backoff: { baseMs: this.flags.resurrectDelayS * 1000, maxMs: 60_000, quickDeathMs: 30_000 },
      graceMs: () => this.settings.graceS * 1000,
      enforcement: this.enforcement,
      limitBytes: () => ramLimitBytes(role, this.settings, this.resources),
      mayThink: () => !(this.watchdog?.thermalState.paused ?? false),
      ...(WATCHES[role].length > 0 ? { observe: () => this.observeFor(role) } : {}),
    });
    supervisor.onStateChange((state) => this.admission.settled(role, state));
    return supervisor;
  }

  /** What a watcher is shown with its next reflection; each piece of news it takes is announced. */
  private observeFor(role: Role): { watching: Observation[]; news: string[] } {
    const minds = new Map([...this.instances].map(([watched, supervisor]) => [watched, supervisor]));
    const { watching, news } = this.desk.observe(role, minds);
    for (const item of news)
      this.emit({ type: 'instance.told', instance: role, about: item.about, message: item.message });
    return { watching, news: news.map((item) => item.message) };
  }

  /**
   * Single <-> matrix, live: refused (nothing changes) when the budget does not allow the new mode; else the running
   * instances stop gracefully, their last records written, and the new mode's instances start, one load at a time.
   */
  async switchMode(mode: 'single' | 'matrix'): Promise<{ mode: 'single' | 'matrix'; instances: InstanceSnapshot[] }> {
    const current = this.settings.mode;
    if (mode !== current) {
      const candidate = applySettingsPatch(this.settings, { mode });
      const outcome = this.makePlan(candidate);
      if (
        !outcome.ok &&
        (outcome.error.code === 'BUDGET_EXCEEDED' ||
          outcome.error.code === 'MODEL_INVALID' ||
          outcome.error.code === 'MODEL_TOO_LARGE')
      ) {
        throw new ApiFailure(
          outcome.error.code,
          `cannot switch to ${mode} mode: ${outcome.error.message}`,
          outcome.error.field,
        );
      }
      this.log.info('host', `switching from ${current} to ${mode} mode`);
      await Promise.all([...this.instances.values()].map((instance) => instance.stop()));
      for (const [role, instance] of this.instances) {
        if (rolesOf(mode).includes(role)) continue;
        instance.dispose();
        this.instances.delete(role);
        this.desk.forget(role);
      }
      for (const role of rolesOf(mode))
        if (!this.instances.has(role)) this.instances.set(role, this.createSupervisor(role));
      this.settingsStore.save(applySettingsPatch(this.settingsStore.settings, { mode }));
      this.overrides = withoutKeys(this.overrides, { mode });
      this.emit({ type: 'settings.changed', settings: this.settings, changed: ['mode'] });
      this.replan();
    }
    const instances = [...this.instances.values()].map((instance) => instance.snapshot());
    this.emit({ type: 'host.mode', mode, instances });
    for (const instance of this.instances.values()) instance.start();
    return { mode, instances: [...this.instances.values()].map((instance) => instance.snapshot()) };
  }

  /** Creates the host: data directory, files, the board's resources. Starts nothing yet. */
  static async create(flags: Flags): Promise<Host> {
    const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
    fs.mkdirSync(dataDir, { recursive: true });
    const resources = resourcesFrom(await readLiveInputs(null));
    const host = new Host(flags, dataDir, resources);
    host.repaired = host.store.repairEarlierSessions();
    return host;
  }

  /** Asks node-llama-cpp which backend it has (in a child process), plans, watches memory, starts the instances. */
  async run(): Promise<void> {
    // Said here rather than at creation, so that every subscriber (stdout, the panel) hears it.
    for (const file of this.repaired) this.log.warn('host', `cut a torn last line from ${file}`);
    if (this.settingsStore.notice) this.log.warn('host', this.settingsStore.notice);
    this.log.info('host', `per-instance limits: ${this.enforcement.info.label} (${this.enforcement.info.reason})`);
    await this.refreshBoard();
    this.startWatchdog();
    const settings = this.settings;
    this.log.info('host', `session ${this.store.sessionId}, ${settings.mode} mode`);
    if (!this.plan.ok) this.log.error('host', `no plan: ${this.plan.error.message}`);
    // A refused start (a bad model file, limits over the board) is on the card and in the events already; the host
    // stays up for the fix.
    if (this.flags.autostart) for (const instance of this.instances.values()) instance.start();
  }

  get settings(): Settings {
    return applySettingsPatch(this.settingsStore.settings, this.overrides);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(unstamped: HostEvent): void {
    const event: HostEvent = unstamped.at === undefined ? { ...unstamped, at: Date.now() } : unstamped;
    this.desk.note(event, new Set(this.instances.keys()));
    if (isLogWorthy(event)) this.recentEvents.push(event);
    if (!EPHEMERAL_EVENT_TYPES.has(event.type)) {
      if (!this.closed) {
        try {
          this.store.appendEvent(event);
        } catch {
          // The events log is a convenience; the transcript and crash log carry what must not be lost.
        }
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken client must not silence the others.
      }
    }
  }

  snapshot(): HostSnapshot {
    return {
      sessionId: this.store.sessionId,
      dataDir: this.dataDir,
      mode: this.settings.mode,
      instances: [...this.instances.values()].map((instance) => instance.snapshot()),
      metrics: this.metrics.toArray(),
      events: this.recentEvents.toArray(),
      settings: this.settingsView(),
      resources: this.resources,
      plan: this.plan,
      watchdog: this.watchdogStatus(),
    };
  }

  /** Stops every instance gracefully, then closes the files. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.watchdog?.stop();
    this.sampler?.stop();
    await Promise.all([...this.instances.values()].map((instance) => instance.stop()));
    for (const instance of this.instances.values()) instance.dispose();
    this.enforcement.dispose?.();
    this.closed = true;
    this.watchdogLog.close();
    this.store.close();
  }

  /** The watchdog's lines in the original's shape, for a terminal (headless without --json-events). */
  onWatchdogLine(listener: (line: string) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  private watchdogConfig(): RunnerConfig {
    const settings = this.settings;
    return {
      ramThreshold: settings.ramThreshold,
      gpuThreshold: settings.gpuThreshold,
      warnThreshold: settings.warnThreshold,
      baseIntervalMs: settings.intervalS * 1000,
      minIntervalMs: 100,
      victimPolicy: settings.victimPolicy,
      timing: settings.watchdogTiming,
      spikePoints: 10,
      graceMs: settings.graceS * 1000,
      thermalC: settings.thermalC,
    };
  }

  private startWatchdog(): void {
    this.sampler = new Sampler({
      gpuKind: this.resources.gpu.kind,
      log: this.log,
      thermalDir: process.env.BRAIN_IN_JAR_THERMAL_DIR,
      nvidiaSmi: {
        command: process.env.BRAIN_IN_JAR_NVIDIA_SMI ?? 'nvidia-smi',
        intervalMs: 250,
        gpuCount: this.resources.gpu.count,
      },
      workers: () =>
        [...this.instances.values()].flatMap((instance) =>
          instance.pid === null
            ? []
            : [
                {
                  role: instance.role,
                  pid: instance.pid,
                  limitBytes: ramLimitBytes(instance.role, this.settings, this.resources),
                  vramBytes: instance.vram,
                },
              ],
        ),
    });
    this.sampler.start();
    this.watchdog = new Watchdog(
      {
        sample: (intervalMs) => this.sampler!.sample(intervalMs),
        workers: () =>
          [...this.instances.values()].flatMap((instance) =>
            instance.killable && instance.pid !== null
              ? [
                  {
                    role: instance.role,
                    pid: instance.pid,
                    limitBytes: ramLimitBytes(instance.role, this.settings, this.resources),
                    spare: this.settings.spare[instance.role] ?? false,
                    vramBytes: instance.vram,
                  },
                ]
              : [],
          ),
        kill: (role, reason, onSigkill) => {
          const instance = this.instances.get(role);
          if (!instance?.kill(reason, 'SIGTERM', onSigkill)) return false;
          if (reason === 'gpu-threshold') this.reduceLayers(role);
          return true;
        },
        gone: (role, pid) => this.instances.get(role)?.pid !== pid,
        onFrame: (frame) => this.onFrame(frame),
        emit: (event) => this.emit(event),
        line: (text) => {
          this.watchdogLog.write(text);
          for (const listener of this.lineListeners) listener(text);
        },
        config: () => this.watchdogConfig(),
      },
      this.enforcement.info,
    );
    this.watchdog.start();
  }

  /** After a GPU-threshold kill the instance comes back with fewer GPU layers: the operator's fix, by itself. */
  private reduceLayers(role: Role): void {
    const planned = this.plan.ok ? this.plan.plan.instances.find((instance) => instance.instance === role) : undefined;
    if (!planned || planned.gpuLayers === 0) return;
    const toLayers = reducedLayers(planned.gpuLayers);
    this.layerCaps[role] = toLayers;
    this.emit({ type: 'instance.layers', instance: role, fromLayers: planned.gpuLayers, toLayers });
    this.log.warn(role, `GPU layers cut from ${planned.gpuLayers} to ${toLayers} after a GPU-threshold kill`);
    this.replan();
  }

  private watchdogStatus(): WatchdogStatus {
    const holding: WatchdogStatus['holding'] = {};
    for (const instance of this.instances.values()) if (instance.held) holding[instance.role] = instance.held;
    return {
      enforcement: this.enforcement.info,
      thermal: this.watchdog?.thermalState ?? { paused: false, hottest: null, thresholdC: this.settings.thermalC },
      holding,
      layerCaps: { ...this.layerCaps },
    };
  }

  /** The model file of a role: the settings' (or --model's), else the demo model, generated on first use. */
  private modelOf(role: Role, settings: Settings = this.settings): string {
    const chosen = settings.models[role];
    if (chosen) return chosen;
    this.demoModelPath ??= ensureDemoModel(path.join(this.dataDir, 'models'));
    return this.demoModelPath;
  }

  private makePlan(settings: Settings): PlanOutcome {
    return planForSettings({
      settings,
      resources: this.resources,
      modelOf: (role) => this.modelOf(role, settings),
      layerCaps: this.layerCaps,
    });
  }

  private replan(): void {
    this.plan = this.makePlan(this.settings);
    this.emit({ type: 'plan.changed', outcome: this.plan });
  }

  private async refreshBoard(): Promise<BoardResources> {
    const backend = await probeBackend();
    if (backend.note) this.log.warn('host', backend.note);
    this.resources = resourcesFrom(await readLiveInputs(backend));
    this.emit({ type: 'board.resources', resources: this.resources });
    this.replan();
    return this.resources;
  }

  private settingsView(): SettingsView {
    return { settings: this.settings, applies: SETTING_APPLIES, notice: this.settingsStore.notice };
  }

  /**
   * Saves a change. Refused whole, changing nothing, when a model file is bad or the RAM limits exceed the board;
   * a plan that fails for other reasons (a limit too small for its model) is accepted and shown, since the operator
   * may lower a limit on purpose to stop an instance.
   */
  private async setSettings(patch: SettingsPatch): Promise<SettingsView> {
    // The mode is a live switch of its own (stop, re-plan, start): done after the rest is saved.
    const { mode, ...rest } = patch;
    if (Object.keys(rest).length > 0) this.applySettings(rest);
    if (mode !== undefined) await this.switchMode(mode);
    return this.settingsView();
  }

  private applySettings(patch: SettingsPatch): void {
    const candidate = applySettingsPatch(this.settings, patch);
    const problem = crossFieldProblem(candidate);
    if (problem) throw new ApiFailure('INVALID_PARAMS', problem.message, problem.field);
    const outcome = this.makePlan(candidate);
    if (!outcome.ok && (outcome.error.code === 'BUDGET_EXCEEDED' || outcome.error.code === 'MODEL_INVALID')) {
      throw new ApiFailure(outcome.error.code, outcome.error.message, outcome.error.field);
    }
    this.settingsStore.save(applySettingsPatch(this.settingsStore.settings, patch));
    this.overrides = withoutKeys(this.overrides, patch);
    if (patch.ramLimitsGb) {
      for (const instance of this.instances.values()) {
        instance.updateLimit(ramLimitBytes(instance.role, this.settings, this.resources));
      }
    }
    const changed = Object.keys(patch);
    this.emit({ type: 'settings.changed', settings: this.settings, changed });
    this.log.info(
      'host',
      `settings changed: ${changed.map((key) => `${key} (${SETTING_APPLIES[key as keyof Settings]})`).join(', ')}`,
    );
    this.replan();
  }

  private launchConfig(role: Role): LaunchResult {
    // Nothing starts, or comes back, while memory is above the warn level.
    const held = this.watchdog?.hold();
    if (held) return { ok: false, hold: true, error: { code: 'HELD', message: held } };
    if (!this.plan.ok) {
      const hold = RESOLVABLE_PLAN_ERRORS.has(this.plan.error.code);
      return { ok: false, hold, error: { code: this.plan.error.code, message: this.plan.error.message } };
    }
    const planned = this.plan.plan.instances.find((instance) => instance.instance === role);
    if (!planned)
      return { ok: false, hold: false, error: { code: 'BAD_STATE', message: `${role} is not in the plan` } };
    // Last, so that the loading slot goes only to an instance that will load now.
    if (this.flags.admission) {
      const states = new Map([...this.instances].map(([other, instance]) => [other, instance.currentState]));
      const waiting = new Set(
        [...this.instances].filter(([, instance]) => instance.held !== null).map(([other]) => other),
      );
      const admission = this.admission.request(role, states, waiting);
      if (admission) return { ok: false, hold: true, error: { code: 'HELD', message: admission } };
    }
    return {
      ok: true,
      config: {
        modelPath: planned.modelPath,
        demo: planned.modelPath === this.demoModelPath,
        plan: {
          gpuLayers: planned.gpuLayers,
          contextSize: planned.contextSize,
          batchSize: planned.batchSize,
          threads: this.flags.threads ?? planned.threads,
          useMmap: planned.useMmap,
          useMlock: planned.useMlock,
        },
        generation: { maxTokens: this.flags.maxTokens, temperature: this.flags.temperature, tokenBatchMs: 50 },
        thinkPauseMs: this.flags.thinkPauseS * 1000,
      },
    };
  }

  private instance(role: Role): InstanceSupervisor {
    const instance = this.instances.get(role);
    if (!instance) {
      throw new ApiFailure('BAD_STATE', `${role} does not run in ${this.settings.mode} mode`, 'instance');
    }
    return instance;
  }

  private selected(role: Role | undefined): InstanceSupervisor[] {
    return role ? [this.instance(role)] : [...this.instances.values()];
  }

  private startInstances(role: Role | undefined): InstanceSnapshot[] {
    const failed: Array<{ code: string; message: string }> = [];
    for (const instance of this.selected(role)) {
      if (!instance.start()) {
        failed.push(instance.snapshot().error ?? { code: 'BAD_STATE', message: `${instance.role} did not start` });
      }
    }
    if (failed.length > 0) {
      const code = failed[0]!.code === 'MODEL_INVALID' ? 'MODEL_INVALID' : 'BAD_STATE';
      throw new ApiFailure(code, failed.map((failure) => failure.message).join('\n'));
    }
    return this.selected(role).map((instance) => instance.snapshot());
  }

  private async stopInstances(role: Role | undefined): Promise<InstanceSnapshot[]> {
    await Promise.all(this.selected(role).map((instance) => instance.stop()));
    return this.selected(role).map((instance) => instance.snapshot());
  }

  private killInstance(role: Role): InstanceSnapshot {
    const instance = this.instance(role);
    if (!instance.kill('killed')) {
      throw new ApiFailure('BAD_STATE', `${role} has no running worker to kill (it is ${instance.currentState})`);
    }
    return instance.snapshot();
  }

  private checkModel(file: string): ModelCheck {
    const validation = validateModel(file);
    if (!validation.ok) throw new ApiFailure('MODEL_INVALID', validation.message, 'path');
    return validation.check;
  }

  private onFrame(frame: MetricsFrame): void {
    for (const instance of this.instances.values()) {
      instance.recordMemory(frame.instances[instance.role]?.rssBytes ?? null);
    }
    // The panel gets about a frame a second, and every frame that jumps; the watchdog has seen them all.
    const previous = this.metrics.toArray().at(-1);
    const jump = previous ? Math.abs(frame.ramPercent - previous.ramPercent) > 2 : true;
    if (frame.t - this.lastFrameSentAt < FRAME_EVERY_MS && !jump) return;
    this.lastFrameSentAt = frame.t;
    for (const [role, metrics] of Object.entries(frame.instances)) {
      metrics.tokensPerSecond = this.instances.get(role as Role)?.tokenRate(frame.t) ?? null;
    }
    this.metrics.push(frame);
    this.emit({ type: 'metrics.frame', frame });
  }
}

/** The patch without the fields (or, for role records, the roles) that `change` sets. */
function withoutKeys(patch: SettingsPatch, change: SettingsPatch): SettingsPatch {
  const next: Record<string, unknown> = { ...patch };
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) continue;
    const existing = next[key];
    if (existing && typeof existing === 'object' && typeof value === 'object' && value !== null) {
      const remaining = { ...(existing as Record<string, unknown>) };
      for (const role of Object.keys(value)) delete remaining[role];
      next[key] = remaining;
    } else {
      delete next[key];
    }
  }
  return next as SettingsPatch;
}
