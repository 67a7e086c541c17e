import type { HostEvent } from '../../../shared/events.js';
import type {
  DeathCause,
  InstanceError,
  Observation,
  InstanceSnapshot,
  InstanceState,
  LoadInfo,
  PartialReflection,
  ReflectionRecord,
  Role,
} from '../../../shared/instances.js';
import type { DeathRecord, TranscriptRecord } from '../../../shared/transcript.js';
import type { GenerationSettings, LoadPlan, ThinkRequest, WorkerMessage } from '../../worker/protocol.js';
import { validateModel } from '../gguf/validateModel.js';
import type { Enforcement, WorkerLimit } from '../enforcement/enforcement.js';
import type { Logger } from '../logger.js';
import type { DeathCountStore } from '../store/deathCounts.js';
import type { SessionStore } from '../store/sessionStore.js';
import { nextStreak, resurrectionDelay, type BackoffPolicy } from './backoff.js';
import { classifyExit, type EndRequest } from './deathCause.js';
import { WorkerProcess, type WorkerExit } from './workerProcess.js';

/** What an instance needs to know at each start; read fresh every time, so settings changes apply on next start. */
export interface LaunchConfig {
  modelPath: string;
  demo: boolean;
  plan: LoadPlan;
  generation: GenerationSettings;
  /** Pause between two reflections, ms. */
  thinkPauseMs: number;
}

/**
 * A launch config, or why the instance cannot start now. A held start (memory above the warn level, a plan that does
 * not fit yet) waits and tries again; a refused one (a bad model file) stops.
 */
export type LaunchResult = { ok: true; config: LaunchConfig } | { ok: false; error: InstanceError; hold: boolean };

export interface InstanceSupervisorOptions {
  role: Role;
  store: SessionStore;
  deathCounts: DeathCountStore;
  emit: (event: HostEvent) => void;
  log: Logger;
  launchConfig: () => LaunchResult;
  backoff: BackoffPolicy;
  /** Grace between SIGTERM (or a stop request) and SIGKILL, ms; read at each kill, so a change applies live. */
  graceMs: () => number;
  /** The kernel-enforced limit, where the system has one. */
  enforcement: Enforcement;
  /** The instance's RAM limit now. */
  limitBytes: () => number;
  /** False while the next reflection must wait (the thermal guard). */
  mayThink: () => boolean;
  /** For a watcher: what it is shown with its next reflection (the watched minds, the news). */
  observe?: () => Pick<ThinkRequest, 'watching' | 'news'>;
}

/** How often a held start, or a reflection held by the thermal guard, looks again. */
const HOLD_RETRY_MS = 500;

/** Reflections kept in memory for the panel; the full record is on disk. */
const KEPT_REFLECTIONS = 50;
/** Reflections from earlier lives that a new life starts with. */
const CARRIED_MEMORIES = 20;

/**
 * One instance of the experiment and its worker process, with explicit states:
 * stopped -> loading -> thinking -> dying -> dead -> resurrecting -> loading ...
 * Whatever ends the worker, the exit lands in one place (`onExit`), which names the cause, records the death on disk
 * before anything else happens, and schedules the resurrection with back-off.
 */
export class InstanceSupervisor {
  readonly role: Role;
  private state: InstanceState = 'stopped';
  private worker: WorkerProcess | null = null;
  private endRequest: EndRequest | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private thinkTimer: NodeJS.Timeout | null = null;
  private resurrectTimer: NodeJS.Timeout | null = null;
  private holdTimer: NodeJS.Timeout | null = null;
  private holdReason: string | null = null;
  private workerLimit: WorkerLimit | null = null;
  private vramBytes: number | null = null;
  private tokensSince = 0;
  private tokensCountedAt = Date.now();
  private resurrectAt: number | null = null;
  private spawnedAt = 0;
  private streak = 0;
  private loadProgress: number | null = null;
  private load: LoadInfo | null = null;
  private config: LaunchConfig | null = null;
  private error: InstanceError | null = null;
  private systemPrompt: string | null = null;
  private readonly reflections: ReflectionRecord[] = [];
  /** What a watcher was shown, by reflection number, until the reflection starts. */
  private readonly shown = new Map<number, Observation[]>();
  private partial: PartialReflection | null = null;
  private nextReflection = 1;
  private memoryBytes: number | null = null;
  private memories: string[];
  private readonly stateListeners: Array<(state: InstanceState) => void> = [];

  constructor(private readonly options: InstanceSupervisorOptions) {
    this.role = options.role;
    this.memories = options.store.previousReflections(options.role, CARRIED_MEMORIES);
  }

  get currentState(): InstanceState {
    return this.state;
  }

  get pid(): number | null {
    return this.worker && !this.worker.exited ? this.worker.pid : null;
  }

  get deaths(): number {
    return this.options.deathCounts.get(this.role);
  }

  /** Called by the sampler with the worker's resident memory. */
  recordMemory(bytes: number | null): void {
    this.memoryBytes = bytes;
  }

  /** Tokens per second since the last call (for the charts). */
  tokenRate(now: number): number {
    const seconds = (now - this.tokensCountedAt) / 1000;
    const rate = seconds > 0 ? this.tokensSince / seconds : 0;
    this.tokensSince = 0;
    this.tokensCountedAt = now;
    return rate;
  }

  /** node-llama-cpp's own figure of the worker's GPU memory, when it has a GPU backend. */
  get vram(): number | null {
    return this.pid === null ? null : this.vramBytes;
  }

  /** True while a worker runs that the watchdog may signal (loaded or loading, not already on its way out). */
  get killable(): boolean {
    return this.pid !== null && (this.state === 'loading' || this.state === 'thinking');
  }

  /** A new limit for the running worker: the kernel's line never drops under what it holds now. */
  updateLimit(bytes: number): void {
    this.workerLimit?.setLimit(bytes, this.memoryBytes ?? 0);
  }

  onStateChange(listener: (state: InstanceState) => void): void {
    this.stateListeners.push(listener);
  }

  snapshot(): InstanceSnapshot {
    return {
      instance: this.role,
      state: this.state,
      pid: this.pid,
      deaths: this.deaths,
      loadProgress: this.loadProgress,
      load: this.load,
      modelPath: this.config?.modelPath ?? null,
      demoModel: this.config?.demo ?? false,
      error: this.error,
      systemPrompt: this.systemPrompt,
      reflections: [...this.reflections],
      partial: this.partial,
      memoryBytes: this.memoryBytes,
      resurrectAt: this.resurrectAt,
    };
  }

  /**
   * Starts the instance now: from stopped, or cutting short the pause of a dead one (which also forgives the streak
   * of quick deaths: the operator asked). Returns false, with the error on the card and in the events, when the model
   * file is not fit to load.
   */
  start(): boolean {
    if (this.state === 'loading' || this.state === 'thinking' || this.state === 'dying') return true;
    this.cancelResurrection();
    this.streak = 0;
    return this.spawn();
  }

  /** The latest complete reflections, oldest first (what a watcher is shown). */
  recent(count: number): Array<{ n: number; text: string }> {
    return this.reflections
      .filter((record) => record.text.trim() !== '')
      .slice(-count)
      .map((record) => ({ n: record.n, text: record.text }));
  }

  /** Why the instance is waiting to start, or null. */
  get held(): string | null {
    return this.holdReason;
  }

  /** Graceful stop: no death is counted, the reflection in progress is written as cut off. */
  async stop(): Promise<void> {
    this.cancelResurrection();
    this.cancelHold();
    if (!this.worker || this.worker.exited) {
      this.setState('stopped');
      return;
    }
    this.endRequest = { kind: 'stop' };
    this.setState('dying', 'stopping');
    this.worker.send({ kind: 'stop' });
    this.armKillTimer(this.options.graceMs());
    await this.worker.waitForExit(this.options.graceMs() + 5000);
  }

  /**
   * Ends the worker as a death with the given cause: SIGKILL at once for the operator's kill, SIGTERM then SIGKILL
   * after the grace for the watchdog. Returns false when there is no live worker to kill.
   */
  kill(
    cause: Extract<EndRequest, { kind: 'kill' }>['cause'],
    signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL',
    onSigkill?: () => void,
  ): boolean {
    const worker = this.worker;
    if (!worker || worker.exited) return false;
    this.endRequest = { kind: 'kill', cause };
    this.setState('dying', cause);
    worker.kill(signal);
    if (signal !== 'SIGKILL') this.armKillTimer(this.options.graceMs(), onSigkill);
    return true;
  }

  /** Waits until the instance is in one of `states` (for an orderly shutdown). */
  async waitForExit(timeoutMs: number): Promise<void> {
    await this.worker?.waitForExit(timeoutMs);
  }

  /** Stops timers without touching the worker: the host is going away and kills what is left. */
  dispose(): void {
    this.cancelResurrection();
    this.cancelHold();
    if (this.thinkTimer) clearTimeout(this.thinkTimer);
    if (this.killTimer) clearTimeout(this.killTimer);
  }

  private spawn(): boolean {
    const launch = this.options.launchConfig();
    if (!launch.ok && launch.hold) {
      this.hold(launch.error.message);
      return true;
    }
    this.cancelHold();
    // The plan checked the model; check again, since the file may have changed since.
    const validation = launch.ok ? validateModel(launch.config.modelPath) : null;
    if (!launch.ok || !validation?.ok) {
      this.error = launch.ok
        ? { code: 'MODEL_INVALID', message: validation && !validation.ok ? validation.message : 'invalid model' }
        : launch.error;
      this.options.emit({ type: 'instance.error', instance: this.role, error: this.error });
      this.options.log.error(this.role, this.error.message);
      this.setState('stopped', this.error.message);
      return false;
    }
    const config = launch.config;
    this.config = config;
    this.endRequest = null;
    this.load = null;
    this.loadProgress = 0;
    this.partial = null;
    this.spawnedAt = Date.now();
    this.vramBytes = null;
    const limit = this.options.limitBytes();
    const worker = WorkerProcess.start({
      wrapper: this.options.enforcement.wrapper(this.role, limit),
      onMessage: (message) => this.onMessage(worker, message),
      onOutput: (stream, line) =>
        this.options.log[stream === 'stderr' ? 'warn' : 'info'](`${this.role} ${worker.pid ?? '?'}`, line),
    });
    this.worker = worker;
    this.workerLimit = null;
    if (worker.pid !== null) {
      try {
        this.workerLimit = this.options.enforcement.attach(this.role, worker.pid, limit);
      } catch (error) {
        this.options.log.warn(this.role, `no kernel limit for this worker: ${(error as Error).message}`);
      }
    }
    worker.onExit((exit) => this.onExit(worker, exit));
    worker.send({
      kind: 'init',
      config: {
        instance: this.role,
        modelPath: config.modelPath,
        demo: config.demo,
        deaths: this.deaths,
        plan: config.plan,
        generation: config.generation,
        memories: this.memories.slice(-CARRIED_MEMORIES),
      },
    });
    this.setState('loading');
    return true;
  }

  private onMessage(worker: WorkerProcess, message: WorkerMessage): void {
    if (worker !== this.worker) return;
    switch (message.kind) {
      case 'progress':
        this.loadProgress = message.progress;
        this.options.emit({ type: 'instance.progress', instance: this.role, progress: message.progress });
        return;
      case 'loaded':
        this.onLoaded(worker, message.load, message.systemPrompt, message.memories);
        return;
      case 'reflection-start': {
        const shown = this.shown.get(message.n);
        this.shown.delete(message.n);
        this.partial = {
          n: message.n,
          deaths: message.deaths,
          text: '',
          startedAt: Date.now(),
          prompt: message.prompt,
        };
        if (shown) this.partial.shown = shown;
        return;
      }
      case 'tokens':
        this.tokensSince += message.tokens;
        if (this.partial?.n === message.n) this.partial.text += message.text;
        this.options.emit({
          type: 'instance.tokens',
          instance: this.role,
          n: message.n,
          text: message.text,
          tokens: message.tokens,
        });
        return;
      case 'reflection-end':
        this.onReflectionEnd(message.n, message.text, message.tokens, message.complete);
        return;
      case 'log':
        this.options.log[message.level](`${this.role} ${worker.pid ?? '?'}`, message.message);
        return;
      case 'vram':
        this.vramBytes = message.usedBytes;
        return;
      case 'fatal':
        this.error = {
          code: message.phase === 'load' ? 'LOAD_FAILED' : 'WORKER_FAILED',
          message: message.error.message,
        };
        this.options.log.error(`${this.role} ${worker.pid ?? '?'}`, message.error.message);
        return;
    }
  }

  private onLoaded(worker: WorkerProcess, load: LoadInfo, systemPrompt: string, memories: number): void {
    this.load = load;
    this.loadProgress = null;
    this.error = null;
    this.systemPrompt = systemPrompt;
    this.writeTranscript({
      v: 1,
      kind: 'life',
      instance: this.role,
      at: Date.now(),
      deaths: this.deaths,
      pid: worker.pid ?? 0,
      modelPath: load.modelPath,
      systemPrompt,
      memories,
    });
    this.options.emit({ type: 'instance.life', instance: this.role, deaths: this.deaths, systemPrompt, memories });
    this.options.emit({ type: 'instance.loaded', instance: this.role, pid: worker.pid ?? 0, load });
    this.options.log.info(
      this.role,
      `loaded ${load.modelName} in ${load.loadMs} ms: ${load.backend}, ${load.gpuLayers}/${load.totalLayers} layers on the GPU, ` +
        `context ${load.contextSize}, ${load.threads} threads`,
    );
    this.setState('thinking');
    this.askForReflection();
  }

  private askForReflection(): void {
    if (this.state !== 'thinking' || !this.worker) return;
    if (!this.options.mayThink()) {
      this.thinkTimer = setTimeout(() => {
        this.thinkTimer = null;
        this.askForReflection();
      }, HOLD_RETRY_MS);
      return;
    }
    const request: ThinkRequest = { n: this.nextReflection++, ...this.options.observe?.() };
    if (request.watching) this.shown.set(request.n, request.watching);
    this.worker.send({ kind: 'think', request });
  }

  private onReflectionEnd(n: number, text: string, tokens: number, complete: boolean): void {
    const partial = this.partial?.n === n ? this.partial : null;
    this.partial = null;
    const record = this.recordReflection({
      instance: this.role,
      n,
      deaths: this.deaths,
      text,
      tokens,
      startedAt: partial?.startedAt ?? Date.now(),
      endedAt: Date.now(),
      complete,
      ...(partial?.prompt !== undefined ? { prompt: partial.prompt } : {}),
      ...(partial?.shown ? { shown: partial.shown } : {}),
    });
    if (record.text.trim() !== '') this.memories.push(record.text);
    if (this.memories.length > CARRIED_MEMORIES * 2) this.memories.splice(0, this.memories.length - CARRIED_MEMORIES);
    // The record is on disk before the next reflection is asked for.
    const pause = this.config?.thinkPauseMs ?? 0;
    this.thinkTimer = setTimeout(() => {
      this.thinkTimer = null;
      this.askForReflection();
    }, pause);
  }

  private recordReflection(record: ReflectionRecord): ReflectionRecord {
    this.writeTranscript({ v: 1, kind: 'reflection', at: record.endedAt, ...record });
    this.reflections.push(record);
    if (this.reflections.length > KEPT_REFLECTIONS) this.reflections.shift();
    this.options.emit({ type: 'instance.reflection', instance: this.role, record });
    return record;
  }

  private onExit(worker: WorkerProcess, exit: WorkerExit): void {
    if (worker !== this.worker) return;
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.thinkTimer) clearTimeout(this.thinkTimer);
    this.killTimer = null;
    this.thinkTimer = null;
    const pid = worker.pid;
    const oomKilled = (this.workerLimit?.oomKills() ?? 0) > 0;
    this.workerLimit?.release();
    this.workerLimit = null;
    const cause = classifyExit({
      request: this.endRequest,
      code: exit.code,
      signal: exit.signal,
      loaded: this.load !== null,
      oomKilled,
    });

    // Last words first: a reflection cut off by the exit is kept, marked incomplete.
    if (this.partial && this.partial.text.trim() !== '') {
      const { n, deaths, text, startedAt, prompt, shown } = this.partial;
      this.recordReflection({
        instance: this.role,
        n,
        deaths,
        text,
        tokens: 0,
        startedAt,
        endedAt: Date.now(),
        complete: false,
        ...(prompt !== undefined ? { prompt } : {}),
        ...(shown ? { shown } : {}),
      });
    }
    this.partial = null;
    this.loadProgress = null;
    this.worker = null;
    this.endRequest = null;

    if (cause === null) {
      this.setState('stopped');
      return;
    }
    this.onDeath(cause, pid, exit, worker.stderr);
  }

  private onDeath(cause: DeathCause, pid: number | null, exit: WorkerExit, stderr: readonly string[]): void {
    const deaths = this.options.deathCounts.increment(this.role);
    const livedMs = Date.now() - this.spawnedAt;
    this.streak = nextStreak(this.streak, livedMs, this.options.backoff);
    const delay = resurrectionDelay(this.streak, this.options.backoff);
    const message = this.deathMessage(cause, exit, stderr);
    if (cause === 'load-failed') this.error = { code: 'LOAD_FAILED', message: message ?? 'the model did not load' };

    const record: DeathRecord = {
      v: 1,
      kind: 'death',
      instance: this.role,
      at: Date.now(),
      deaths,
      cause,
      pid,
      signal: exit.signal,
      exitCode: exit.code,
      message,
      memoryBytes: this.memoryBytes,
    };
    this.writeTranscript(record);
    try {
      this.options.store.appendCrashReport(record, {
        model: this.config?.modelPath ?? null,
        lived: `${(livedMs / 1000).toFixed(1)}s`,
        resurrection: `${(delay / 1000).toFixed(1)}s`,
      });
    } catch (error) {
      this.options.log.error(this.role, `could not write the crash report: ${(error as Error).message}`);
    }
    this.resurrectAt = Date.now() + delay;
    this.options.emit({
      type: 'instance.death',
      instance: this.role,
      cause,
      deaths,
      pid,
      signal: exit.signal,
      exitCode: exit.code,
      message,
      memoryBytes: this.memoryBytes,
      resurrectAt: this.resurrectAt,
    });
    // Narration for the terminal and the log file; the panel shows the instance.death event itself.
    this.options.log.info(
      this.role,
      `died (${cause}${exit.signal ? `, ${exit.signal}` : ''}${exit.code !== null ? `, exit ${exit.code}` : ''}); ` +
        `death ${deaths}; back in ${(delay / 1000).toFixed(1)} s${message ? `: ${message}` : ''}`,
    );
    this.memoryBytes = null;
    this.setState('dead');
    this.resurrectTimer = setTimeout(() => {
      this.resurrectTimer = null;
      this.resurrectAt = null;
      this.setState('resurrecting');
      this.spawn();
    }, delay);
  }

  private deathMessage(cause: DeathCause, exit: WorkerExit, stderr: readonly string[]): string | null {
    if (this.error && (cause === 'load-failed' || cause === 'crash')) return this.error.message;
    const lastError = [...stderr].reverse().find((line) => /error|assert|abort|fatal|fail/i.test(line));
    if (cause === 'crash' || cause === 'load-failed') {
      const how = exit.signal ? `the worker was ended by ${exit.signal}` : `the worker exited with code ${exit.code}`;
      return lastError ? `${how}: ${lastError}` : how;
    }
    if (cause === 'signal') return `ended by ${exit.signal} from outside the app`;
    return null;
  }

  private writeTranscript(record: TranscriptRecord): void {
    try {
      const { file, line } = this.options.store.appendTranscript(record);
      this.options.emit({ type: 'transcript.written', instance: this.role, file, line, kind: record.kind });
    } catch (error) {
      // A full disk must not take the instance down with it; the operator sees it in the log.
      this.options.log.error(this.role, `could not write the transcript: ${(error as Error).message}`);
    }
  }

  private armKillTimer(graceMs: number, onSigkill?: () => void): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      if (this.worker?.kill('SIGKILL')) onSigkill?.();
    }, graceMs);
  }

  /** Waits to start: the reason on the card, a look again shortly. */
  private hold(reason: string): void {
    // The same reason with new figures ("memory at 71.2%" then "71.3%") is not news.
    const kind = (text: string | null) => text?.replace(/[\d.]+/g, '#') ?? null;
    const news = kind(this.holdReason) !== kind(reason) || this.state !== 'waiting';
    this.holdReason = reason;
    if (news) {
      this.options.emit({ type: 'instance.held', instance: this.role, reason });
      this.setState('waiting', reason);
    }
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.spawn();
    }, HOLD_RETRY_MS);
  }

  private cancelHold(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (this.holdReason !== null) {
      this.holdReason = null;
      this.options.emit({ type: 'instance.held', instance: this.role, reason: null });
    }
  }

  private cancelResurrection(): void {
    if (this.resurrectTimer) clearTimeout(this.resurrectTimer);
    this.resurrectTimer = null;
    this.resurrectAt = null;
  }

  private setState(state: InstanceState, detail?: string): void {
    this.state = state;
    const event: HostEvent = { type: 'instance.state', instance: this.role, state, pid: this.pid };
    if (detail !== undefined) event.detail = detail;
    this.options.emit(event);
    for (const listener of this.stateListeners) listener(state);
  }
}
