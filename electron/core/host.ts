import path from 'node:path';

import type { HostSnapshot, SettingsView } from '../../shared/api.js';
import type { BoardResources } from '../../shared/board.js';
import type { HostEvent, UnstampedEvent } from '../../shared/events.js';
import { WATCHES, type InstanceSnapshot, type InstanceState, type Role } from '../../shared/instances.js';
import type { MetricsFrame, WorkerMemory } from '../../shared/metrics.js';
import type { WatchdogStatus } from '../../shared/watchdog.js';
import { applySettingsPatch, type Settings, type SettingsPatch } from '../../shared/settings.js';
import { ApiFailure, createApi, modelFileChecker, type ServedApi } from './api.js';
import { Emitter } from './emitter.js';
import { probeBackend } from './board/backendProbe.js';
import { readLiveInputs, resourcesFrom } from './board/resources.js';
import type { Flags } from './cli/args.js';
import { flagsToSettingsPatch, givenFlags } from './cli/settingFlags.js';
import { detectEnforcement } from './enforcement/enforcement.js';
import { EventBus, type EventListener } from './eventBus.js';
import { Instance } from './instance/instance.js';
import { InstanceSet } from './instance/instanceSet.js';
import { launchConfigFor, StartGate } from './instance/startGate.js';
import { lastResort } from './lastResort.js';
import { eventLogger, type Logger } from './logger.js';
import { ObservationDesk } from './matrix/observation.js';
import { PLAN_ERROR_POLICY } from './planner/planErrorPolicy.js';
import { PlanKeeper } from './planner/planKeeper.js';
import { ramLimitBytes, rolesOf } from './planner/planInputs.js';
import { MetricsHistory } from './metricsHistory.js';
import { SerialQueue } from './serialQueue.js';
import { SettingsService } from './settingsService.js';
import { DataFolderWatch } from './store/dataFolderWatch.js';
import { dataDirOf, prepareDataDir } from './store/dataDir.js';
import { legacyDataDir, moveLegacyData } from './store/legacyDataDir.js';
import { DeathCountStore } from './store/deathCounts.js';
import { SessionStore } from './store/sessionStore.js';
import { WatchdogBinding } from './watchdog/watchdogBinding.js';
import { watchdogStatusOf } from './watchdog/watchdogStatus.js';
import { PostMortems } from './deaths/postMortems.js';

export type { EventListener } from './eventBus.js';

type ModeSwitched = { mode: Settings['mode']; instances: InstanceSnapshot[] };

/** How often a blocked instance's model file is looked at for a change. */
const FILE_CHECK_EVERY_MS = 2000;

/**
 * The host: the composition root. It owns the instances and composes the services they need (settings, the plan,
 * the start gate, the watchdog, the event bus, the files), and speaks to the outside only through events
 * (subscribe) and the api table (api.call). The Electron shell and the headless entry point both run exactly this.
 */
export class Host {
  readonly api: ServedApi;
  readonly store: SessionStore;
  readonly log: Logger;
  private readonly bus: EventBus;
  private readonly settingsService: SettingsService;
  private readonly instances = new InstanceSet(() => this.settings.mode);
  private readonly metrics = new MetricsHistory();
  /** The sampler's latest sample, every one (the panel gets about one a second of them). */
  private latestSample: MetricsFrame | null = null;
  private watchdog: WatchdogBinding | null = null;
  private readonly enforcement: Awaited<ReturnType<typeof detectEnforcement>>;
  private readonly watchdogLines = new Emitter<string>();
  private lastFileCheckAt = 0;
  private readonly plans: PlanKeeper;
  /** What start-up found and mended after an unclean exit, said once every subscriber listens. */
  private notes: string[] = [];
  private readonly dataFolder: DataFolderWatch;
  private readonly deathCounts: DeathCountStore;
  private readonly desk = new ObservationDesk();
  private readonly postMortems: PostMortems;
  private readonly gate: StartGate;
  private closed = false;
  private readonly modeSwitches = new SerialQueue();
  private boardRefresh: Promise<BoardResources> | null = null;
  private stopping = false;

  private constructor(
    readonly flags: Flags,
    readonly dataDir: string,
    resources: BoardResources,
    enforcement: Host['enforcement'],
  ) {
    this.store = new SessionStore(dataDir);
    this.bus = new EventBus(this.store, (event) => this.desk.note(event, new Set(this.instances.keys())));
    this.postMortems = new PostMortems({
      store: this.store,
      thresholds: () => this.settings,
      limitOf: (role) => ramLimitBytes(role, this.settings, this.plans.resources),
    });
    this.bus.subscribe((event) => this.postMortems.heard(event));
    this.log = eventLogger((event) => this.emit(event));
    this.settingsService = new SettingsService({
      file: this.store.paths.settings,
      overrides: flagsToSettingsPatch(flags),
      flagsOf: (keys) => givenFlags(flags, keys),
      planFor: (settings) => this.plans.planFor(settings),
      emit: (event) => this.emit(event),
      log: this.log,
    });
    this.plans = new PlanKeeper(resources, dataDir, this.settings);
    this.enforcement = enforcement;
    this.deathCounts = new DeathCountStore(this.store.paths.deaths, () => this.store.deathsInTranscripts());
    const { store, deathCounts, bus, log } = this;
    this.dataFolder = new DataFolderWatch({ store, deathCounts, bus, log, settings: () => this.settings });
    this.gate = new StartGate({
      memoryHold: () => this.watchdog?.hold() ?? null,
      plan: () => this.plans.plan,
      configFor: (planned) => launchConfigFor(planned, flags, this.plans.isDemo(planned.modelPath)),
      admission: flags.admission,
      states: () => new Map<Role, InstanceState>([...this.instances].map(([role, one]) => [role, one.state])),
      waiting: () => new Set([...this.instances].filter(([, one]) => one.held !== null).map(([role]) => role)),
    });
    for (const role of rolesOf(this.settings.mode)) this.instances.set(role, this.createInstance(role));
    this.api = createApi({
      snapshot: () => this.snapshot(),
      startInstances: (role) => this.instances.start(role),
      stopInstances: (role) => this.instances.stop(role),
      killInstance: (role) => this.instances.kill(role),
      checkModel: modelFileChecker(),
      settings: () => this.settingsView(),
      setSettings: (patch) => this.setSettings(patch),
      plan: () => this.plans.plan,
      previewPlan: (patch) => this.plans.planFor(applySettingsPatch(this.settings, patch)),
      refreshBoard: () => this.refreshBoard(),
      switchMode: (mode) => this.switchMode(mode),
      deathView: (id) => this.postMortems.view(id),
    });
  }

  /** Creates the host: data directory, files, the board's resources. Starts nothing yet. */
  static async create(flags: Flags): Promise<Host> {
    const dataDir = dataDirOf(flags);
    // The one data folder: what an older Electron app kept in its own folder comes over once.
    const moved = flags.dataDir === undefined ? moveLegacyData(legacyDataDir(), dataDir) : [];
    prepareDataDir(dataDir);
    // Start-up never waits on a GPU tool: what nvidia-smi has not said by now, the board refresh in run() fills in.
    const resources = resourcesFrom(await readLiveInputs(null, { nvidiaSmiWaitMs: 0 }));
    const host = new Host(flags, dataDir, resources, await detectEnforcement());
    const swept = (host.enforcement.swept ?? []).map((group) => `removed the stale cgroup ${group}`);
    const movedNotes = moved.map((what) => `the old data folder ${legacyDataDir()}: ${what}`);
    host.notes = [...movedNotes, ...host.store.tidyAfterUncleanExit(), ...swept];
    return host;
  }

  /**
   * Watches memory at once; asks node-llama-cpp which backend it has (in a child process) and nvidia-smi which GPU,
   * plans, and starts the instances once they have answered. Start-up does not wait for them (they may take up to
   * their deadlines): this resolves when the watchdog runs, so a stuck GPU tool holds back only the instances.
   */
  async run(): Promise<void> {
    // Said here rather than at creation, so that every subscriber (stdout, the panel) hears it.
    for (const note of this.notes) this.log.warn('host', note);
    if (this.settingsService.notice) this.log.warn('host', this.settingsService.notice);
    this.dataFolder.start();
    this.log.info('host', `per-instance limits: ${this.enforcement.info.label} (${this.enforcement.info.reason})`);
    this.startWatchdog();
    void this.refreshBoard().then(
      () => this.startOnceBoardKnown(),
      (error: Error) => this.log.error('host', `cannot read the board: ${error.message}`),
    );
  }

  private startOnceBoardKnown(): void {
    if (this.stopping) return;
    this.log.info('host', `session ${this.store.sessionId}, ${this.settings.mode} mode`);
    const plan = this.plans.plan;
    if (!plan.ok) this.log.error('host', `no plan: ${plan.error.message}`);
    // A refused start (a bad model file, limits over the board) is on the card and in the events already; the host
    // stays up for the fix.
    if (this.flags.autostart) for (const instance of this.instances.values()) instance.start();
  }

  /** When the memory watchdog last sampled (epoch ms), or null before its first sample. */
  get lastSampleAt(): number | null {
    return this.latestSample?.t ?? null;
  }

  get settings(): Settings {
    return this.settingsService.current;
  }

  subscribe(listener: EventListener): () => void {
    return this.bus.subscribe(listener);
  }

  emit(event: UnstampedEvent): HostEvent {
    return this.bus.emit(event);
  }

  snapshot(): HostSnapshot {
    return {
      sessionId: this.store.sessionId,
      dataDir: this.dataDir,
      mode: this.settings.mode,
      instances: this.instances.snapshots(),
      metrics: this.metrics.toArray(),
      events: this.bus.recent(),
      settings: this.settingsView(),
      resources: this.plans.resources,
      plan: this.plans.plan,
      watchdog: this.watchdogStatus(),
      caught: lastResort.caught,
      disk: this.dataFolder.status(),
      deaths: this.postMortems.recent(),
    };
  }

  /** Stops every instance gracefully, then closes the files. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    this.watchdog?.stop();
    await this.instances.stop();
    for (const instance of this.instances.values()) instance.dispose();
    this.enforcement.dispose?.();
    this.closed = true;
    await this.settingsService.flush();
    this.bus.stopWriting();
    this.watchdog?.close();
    this.dataFolder.stop();
    this.store.close();
  }

  /** The watchdog's lines in the original's shape, for a terminal (headless without --json-events). */
  onWatchdogLine(listener: (line: string) => void): () => void {
    return this.watchdogLines.on(listener);
  }

  /**
   * Single <-> matrix, live: refused (nothing changes) when the new mode's plan fails in a way PLAN_ERROR_POLICY
   * refuses; else the running instances stop gracefully, their last records written, and the new mode's instances
   * start, one load at a time. One switch at a time, in the order asked, so the host ends in the last mode asked for
   * (concurrent switches had interleaved: a burst ending in single left matrix running).
   */
  switchMode(mode: Settings['mode']): Promise<ModeSwitched> {
    return this.modeSwitches.run(() => this.applyMode(mode));
  }

  private async applyMode(mode: Settings['mode']): Promise<ModeSwitched> {
    const current = this.settings.mode;
    if (mode !== current) {
      const outcome = this.plans.planFor(applySettingsPatch(this.settings, { mode }));
      if (!outcome.ok && PLAN_ERROR_POLICY[outcome.error.code].modeSwitch === 'refuse') {
        const { code, message, field } = outcome.error;
        throw new ApiFailure(code, `cannot switch to ${mode} mode: ${message}`, field);
      }
      this.log.info('host', `switching from ${current} to ${mode} mode`);
      await this.instances.stop();
      for (const [role, instance] of this.instances) {
        if (rolesOf(mode).includes(role)) continue;
        instance.dispose();
        this.instances.delete(role);
        this.desk.forget(role);
      }
      for (const role of rolesOf(mode))
        if (!this.instances.has(role)) this.instances.set(role, this.createInstance(role));
      const saved = this.settingsService.save({ mode });
      this.replan();
      await saved;
    }
    this.emit({ type: 'host.mode', mode, instances: this.instances.snapshots() });
    for (const instance of this.instances.values()) instance.start();
    return { mode, instances: this.instances.snapshots() };
  }

  private createInstance(role: Role): Instance {
    const instance = new Instance({
      role,
      store: this.store,
      deathCounts: this.deathCounts,
      emit: (event) => this.emit(event),
      log: this.log,
      gate: this.gate,
      backoff: { baseMs: this.flags.resurrectDelayS * 1000, maxMs: 60_000, quickDeathMs: 30_000 },
      graceMs: () => this.settings.graceS * 1000,
      enforcement: this.enforcement,
      limitBytes: () => ramLimitBytes(role, this.settings, this.plans.resources),
      spare: () => this.settings.spare[role] ?? false,
      memory: (pid) => this.memoryOf(role, pid),
      mayThink: () => !(this.watchdog?.thermal.paused ?? false),
      ...(WATCHES[role].length > 0
        ? { observe: () => this.desk.tell(role, this.instances, (event) => this.emit(event)) }
        : {}),
      postMortem: (record) => this.postMortems.record(record),
    });
    instance.onStateChange((state) => this.gate.settled(role, state));
    return instance;
  }

  /** A worker's memory in the latest sample, when that sample saw this worker. */
  private memoryOf(role: Role, pid: number | null): WorkerMemory | null {
    const memory = this.latestSample?.instances[role];
    return memory && memory.pid === pid ? memory : null;
  }

  private startWatchdog(): void {
    this.watchdog = new WatchdogBinding({
      resources: this.plans.resources,
      enforcement: this.enforcement,
      settings: () => this.settings,
      workers: () => [...this.instances.values()].flatMap((instance) => instance.identity() ?? []),
      kill: (role, reason, onSigkill) => {
        if (!this.instances.get(role)?.kill(reason, 'SIGTERM', onSigkill)) return false;
        if (reason === 'gpu-threshold') this.reduceLayers(role);
        return true;
      },
      gone: (role, pid) => this.instances.get(role)?.pid !== pid,
      onSample: (frame) => this.onSample(frame),
      emit: (event) => this.emit(event),
      log: this.log,
      logFile: path.join(this.store.paths.logs, 'watchdog.log'),
      line: (text) => this.watchdogLines.fire(text),
    });
    this.watchdog.start();
  }

  /** After a GPU-threshold kill the instance comes back with fewer GPU layers: the operator's fix, by itself. */
  private reduceLayers(role: Role): void {
    const cut = this.plans.reduceLayers(role);
    if (!cut) return;
    this.emit({ type: 'instance.layers', instance: role, ...cut });
    this.log.warn(role, `GPU layers cut from ${cut.fromLayers} to ${cut.toLayers} after a GPU-threshold kill`);
    this.replan();
  }

  private watchdogStatus(): WatchdogStatus {
    const thermal = this.watchdog?.thermal ?? { paused: false, hottest: null, thresholdC: this.settings.thermalC };
    return watchdogStatusOf({
      instances: this.instances.values(),
      enforcement: this.enforcement.info,
      lines: this.watchdog?.lines() ?? [],
      thermal,
      layerCaps: this.plans.caps,
    });
  }

  private replan(): void {
    // A burst of changes to the watchdog's settings would otherwise send the same plan to every client each time.
    if (this.plans.replan(this.settings)) this.emit({ type: 'plan.changed', outcome: this.plans.plan });
    this.gate.recheck();
  }

  /** One refresh at a time: calls made while one runs share it (one probe, one read of the board). */
  private refreshBoard(): Promise<BoardResources> {
    this.boardRefresh ??= this.readBoard().finally(() => (this.boardRefresh = null));
    return this.boardRefresh;
  }

  private async readBoard(): Promise<BoardResources> {
    const backend = await probeBackend();
    const inputs = await readLiveInputs(backend);
    // A host stopped meanwhile has nothing left to plan for.
    if (this.stopping) return this.plans.resources;
    if (backend.note) this.log.warn('host', backend.note);
    this.plans.resources = resourcesFrom(inputs);
    const { gpu } = this.plans.resources;
    if (gpu.note) this.log.warn('host', `GPU unknown: ${gpu.note}`);
    this.watchdog?.boardChanged(this.plans.resources);
    this.emit({ type: 'board.resources', resources: this.plans.resources });
    this.replan();
    return this.plans.resources;
  }

  private settingsView(): SettingsView {
    return this.settingsService.view();
  }

  private async setSettings(patch: SettingsPatch): Promise<SettingsView> {
    // The mode is a live switch of its own (stop, re-plan, start): done after the rest is saved.
    const { mode, ...rest } = patch;
    if (Object.keys(rest).length > 0) {
      // In force at once; the reply waits for the file, off the event loop.
      const written = this.settingsService.apply(rest);
      if (rest.ramLimitsGb) {
        for (const instance of this.instances.values()) {
          instance.updateLimit(ramLimitBytes(instance.role, this.settings, this.plans.resources));
        }
      }
      this.replan();
      await written;
      // What a blocked instance failed on may be what changed.
      for (const instance of this.instances.values()) instance.retry(true);
    }
    if (mode !== undefined) await this.switchMode(mode);
    return this.settingsView();
  }

  private onSample(frame: MetricsFrame): void {
    this.latestSample = frame;
    this.postMortems.sample(frame);
    this.gate.recheck();
    if (frame.t - this.lastFileCheckAt >= FILE_CHECK_EVERY_MS) {
      this.lastFileCheckAt = frame.t;
      for (const instance of this.instances.values()) instance.retry(false);
    }
    const sent = this.metrics.offer(frame, (role, now) => this.instances.get(role)?.tokenRate(now) ?? null);
    if (sent) this.emit({ type: 'metrics.frame', frame: sent });
  }
}
