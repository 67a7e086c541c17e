import fs from 'node:fs';

import type { UnstampedEvent } from '../../../shared/events.js';
import type { InstanceError, InstanceSnapshot, InstanceState, LoadInfo, Role } from '../../../shared/instances.js';
import { REPEATABLE_FAILURES, type FailureKind } from '../../../shared/failures.js';
import type { WorkerIdentity, WorkerMemory } from '../../../shared/metrics.js';
import type { ThinkRequest, WorkerMessage } from '../../worker/protocol.js';
import { Disposables } from '../emitter.js';
import { validateModel } from '../gguf/validateModel.js';
import type { DeathCountStore } from '../store/deathCounts.js';
import type { SessionStore } from '../store/sessionStore.js';
import { InstanceLifecycle, type KillCause, type LifecycleOptions, type WorkerEnd } from './instanceLifecycle.js';
import { InstanceRecords, type RecordsOptions } from './instanceRecords.js';
import { CARRIED_MEMORIES, ReflectionLoop } from './reflectionLoop.js';
import type { LaunchConfig, StartGate } from './startGate.js';

/** What an instance needs: its lifecycle's options, and what its thinking and records need. */
export interface InstanceOptions extends LifecycleOptions {
  store: SessionStore;
  deathCounts: DeathCountStore;
  emit: (event: UnstampedEvent) => void;
  gate: StartGate;
  /** Spared by the watchdog (left to the kernel's limit). */
  spare: () => boolean;
  /** The memory of this instance's worker `pid` in the sampler's latest sample, or null. */
  memory: (pid: number | null) => WorkerMemory | null;
  /** False while the next reflection must wait (the thermal guard). */
  mayThink: () => boolean;
  /** For a watcher: what it is shown with its next reflection. */
  observe?: () => Pick<ThinkRequest, 'watching' | 'news'>;
  postMortem?: RecordsOptions['postMortem'];
}

/**
 * One instance of the experiment: its lifecycle (the process and its states), its reflection loop and its records,
 * composed. Why an instance did not start is answered in `begin`: the gate says hold (it waits for the gate to
 * change) or refuse (the card says why), else the model file is checked again and the worker spawned.
 */
export class Instance {
  readonly role: Role;
  private readonly lifecycle: InstanceLifecycle;
  private readonly loop: ReflectionLoop;
  private readonly records: InstanceRecords;
  private readonly bindings = new Disposables();
  private holdReason: string | null = null;
  /** What a blocked instance failed on, and its model file then (size and time), to notice a change. */
  private blockedOn: { failure: FailureKind; file: string | null } | null = null;
  /** Bumped whenever a wait at the gate is no longer wanted, so a stale wake-up does nothing. */
  private gateTicket = 0;
  private config: LaunchConfig | null = null;
  private load: LoadInfo | null = null;
  private loadProgress: number | null = null;
  private error: InstanceError | null = null;
  private systemPrompt: string | null = null;
  private vramBytes: number | null = null;

  constructor(private readonly options: InstanceOptions) {
    this.role = options.role;
    const { role, store, emit } = options;
    this.lifecycle = new InstanceLifecycle(options);
    this.records = new InstanceRecords({
      role,
      store,
      emit,
      ...(options.postMortem ? { postMortem: options.postMortem } : {}),
    });
    this.loop = new ReflectionLoop({
      role,
      records: this.records,
      emit,
      send: (request) => this.lifecycle.send({ kind: 'think', request }),
      deaths: () => this.deaths,
      mayThink: options.mayThink,
      memories: store.previousReflections(role, CARRIED_MEMORIES),
      ...(options.observe ? { observe: options.observe } : {}),
    });
    this.bindings.add(
      this.lifecycle.onState.on(({ state, detail }) => {
        const event: UnstampedEvent = { type: 'instance.state', instance: role, state, pid: this.pid };
        if (detail !== undefined) event.detail = detail;
        emit(event);
      }),
    );
    this.bindings.add(this.lifecycle.onMessage.on((message) => this.onMessage(message)));
    this.bindings.add(this.lifecycle.onEnd.on((end) => this.onEnd(end)));
    this.bindings.add(this.lifecycle.onResurrect.on(() => this.begin()));
  }

  get state(): InstanceState {
    return this.lifecycle.state;
  }

  get pid(): number | null {
    return this.lifecycle.pid;
  }

  get deaths(): number {
    return this.options.deathCounts.get(this.role);
  }

  /** Why the instance is waiting to start, or null. */
  get held(): string | null {
    return this.holdReason;
  }

  /** What the sampler is told of this instance's worker, or null when none runs. */
  identity(): WorkerIdentity | null {
    const pid = this.pid;
    if (pid === null) return null;
    return {
      role: this.role,
      pid,
      vramBytes: this.vramBytes,
      limitBytes: this.options.limitBytes(),
      spare: this.options.spare(),
      killable: this.lifecycle.killable,
    };
  }

  onStateChange(listener: (state: InstanceState) => void): void {
    this.bindings.add(this.lifecycle.onState.on(({ state }) => listener(state)));
  }

  /**
   * Starts the instance now: from stopped, or cutting short the pause of a dead one (which also forgives the streak
   * of quick deaths: the operator asked). False, with the error on the card and in the events, when it is refused.
   */
  start(): boolean {
    const state = this.lifecycle.state;
    if (state === 'loading' || state === 'thinking' || state === 'dying') return true;
    this.lifecycle.forgive();
    return this.begin();
  }

  /** Graceful stop: no death is counted, the reflection in progress is written as cut off. */
  async stop(): Promise<void> {
    this.cancelHold();
    await this.lifecycle.stop();
  }

  /** Ends the worker as a death with the given cause (see InstanceLifecycle.kill). */
  kill(cause: KillCause, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', onSigkill?: () => void): boolean {
    return this.lifecycle.kill(cause, signal, onSigkill);
  }

  /** A new limit for the running worker: the kernel's line never drops under what it holds now. */
  updateLimit(bytes: number): void {
    this.lifecycle.updateLimit(bytes, this.options.memory(this.pid)?.rssBytes ?? 0);
  }

  recent(count: number): Array<{ n: number; text: string }> {
    return this.loop.recent(count);
  }

  tokenRate(now: number): number {
    return this.loop.tokenRate(now);
  }

  snapshot(): InstanceSnapshot {
    return {
      instance: this.role,
      state: this.lifecycle.state,
      pid: this.pid,
      deaths: this.deaths,
      loadProgress: this.loadProgress,
      load: this.load,
      modelPath: this.config?.modelPath ?? null,
      demoModel: this.config?.demo ?? false,
      error: this.error,
      systemPrompt: this.systemPrompt,
      reflections: this.loop.kept(),
      partial: this.loop.current,
      memoryBytes: this.options.memory(this.pid)?.rssBytes ?? null,
      resurrectAt: this.lifecycle.resurrectAt,
    };
  }

  /** Stops timers and listeners without touching the worker: the host is going away and kills what is left. */
  dispose(): void {
    this.cancelHold();
    this.loop.dispose();
    this.bindings.dispose();
    this.lifecycle.dispose();
  }

  private begin(): boolean {
    const launch = this.options.gate.check(this.role);
    if (!launch.ok && launch.hold) {
      this.hold(launch.error.message);
      return true;
    }
    this.cancelHold();
    this.blockedOn = null;
    // The plan checked the model; check again, since the file may have changed since.
    const validation = launch.ok ? validateModel(launch.config.modelPath) : null;
    if (!launch.ok || !validation?.ok) {
      this.error = launch.ok
        ? { code: 'MODEL_INVALID', message: validation && !validation.ok ? validation.message : 'invalid model' }
        : launch.error;
      this.options.emit({ type: 'instance.error', instance: this.role, error: this.error });
      this.options.log.error(this.role, this.error.message);
      // The operator's own start is refused where it stands; a resurrection refused so needs the operator.
      if (this.lifecycle.state === 'stopped') {
        this.lifecycle.moveTo('stopped', this.error.message);
      } else {
        this.blockedOn = { failure: 'file-gone', file: launch.ok ? fileStamp(launch.config.modelPath) : null };
        this.error = { ...this.error, fix: REPEATABLE_FAILURES['file-gone'].fix };
        this.lifecycle.moveTo('blocked', this.error.message);
      }
      return false;
    }
    const config = launch.config;
    this.config = config;
    this.load = null;
    this.loadProgress = 0;
    this.vramBytes = null;
    this.lifecycle.spawn({
      kind: 'init',
      config: {
        instance: this.role,
        modelPath: config.modelPath,
        demo: config.demo,
        deaths: this.deaths,
        plan: config.plan,
        generation: config.generation,
        memories: this.loop.carried(),
      },
    });
    return true;
  }

  /** Waits to start: the reason on the card, and a look again when the gate changes. */
  private hold(reason: string): void {
    // The same reason with new figures ("memory at 71.2%" then "71.3%") is not news.
    const kind = (text: string | null) => text?.replace(/[\d.]+/g, '#') ?? null;
    const news = kind(this.holdReason) !== kind(reason) || this.lifecycle.state !== 'waiting';
    this.holdReason = reason;
    if (news) {
      this.options.emit({ type: 'instance.held', instance: this.role, reason });
      this.lifecycle.moveTo('waiting', reason);
    }
    const ticket = ++this.gateTicket;
    void this.options.gate.changed().then(() => {
      if (ticket === this.gateTicket && this.lifecycle.state === 'waiting') this.begin();
    });
  }

  private cancelHold(): void {
    this.gateTicket++;
    if (this.holdReason !== null) {
      this.holdReason = null;
      this.options.emit({ type: 'instance.held', instance: this.role, reason: null });
    }
  }

  private onMessage(message: WorkerMessage): void {
    if (this.loop.handle(message)) return;
    const source = `${this.role} ${this.pid ?? '?'}`;
    switch (message.kind) {
      case 'progress':
        this.loadProgress = message.progress;
        this.options.emit({ type: 'instance.progress', instance: this.role, progress: message.progress });
        return;
      case 'loaded':
        this.onLoaded(message.load, message.systemPrompt, message.memories);
        return;
      case 'log':
        this.options.log[message.level](source, message.message);
        return;
      case 'vram':
        this.vramBytes = message.usedBytes;
        return;
      case 'fatal':
        this.error = {
          code: message.phase === 'load' ? 'LOAD_FAILED' : 'WORKER_FAILED',
          message: message.error.message,
        };
        this.options.log.error(source, message.error.message);
        return;
    }
  }

  /**
   * Needs the operator: a failure that would only happen again. Not a death (the count and the minds are not told),
   * and no retry until Start, a settings change or a change of the model file (`retry`).
   */
  private block(failure: FailureKind, message: string | null): void {
    const { reason, fix } = REPEATABLE_FAILURES[failure];
    this.blockedOn = { failure, file: this.config ? fileStamp(this.config.modelPath) : null };
    this.error = { code: 'NEEDS_OPERATOR', message: message ? `${reason}: ${message}` : reason, fix };
    this.options.emit({ type: 'instance.error', instance: this.role, error: this.error });
    this.options.log.warn(this.role, `needs the operator, not a death: ${this.error.message}. To fix: ${fix}`);
  }

  /**
   * A blocked instance tries again when what it failed on may have changed: a setting (`force`), or its model file
   * (checked here: size and modification time). True when it tried.
   */
  retry(force: boolean): boolean {
    if (this.lifecycle.state !== 'blocked' || !this.blockedOn) return false;
    const file = this.config ? fileStamp(this.config.modelPath) : null;
    if (!force && file === this.blockedOn.file) return false;
    this.options.log.info(
      this.role,
      force ? 'trying again after a settings change' : 'trying again: the model file changed',
    );
    this.lifecycle.forgive();
    this.begin();
    return true;
  }

  private onLoaded(load: LoadInfo, systemPrompt: string, memories: number): void {
    this.load = load;
    this.loadProgress = null;
    this.error = null;
    this.systemPrompt = systemPrompt;
    const pid = this.pid ?? 0;
    this.records.life({ at: Date.now(), deaths: this.deaths, pid, modelPath: load.modelPath, systemPrompt, memories });
    this.options.emit({ type: 'instance.loaded', instance: this.role, pid, load });
    this.options.log.info(
      this.role,
      `loaded ${load.modelName} in ${load.loadMs} ms: ${load.backend}, ${load.gpuLayers}/${load.totalLayers} layers on the GPU, ` +
        `context ${load.contextSize}, ${load.threads} threads`,
    );
    this.lifecycle.moveTo('thinking');
    this.loop.begin(this.config?.thinkPauseMs ?? 0);
  }

  private onEnd(end: WorkerEnd): void {
    // Last words first: a reflection cut off by the exit is kept, marked incomplete.
    this.loop.end();
    this.loadProgress = null;
    if (end.cause === null) return;
    const message = end.message;
    if (end.blocked) {
      this.block(end.blocked, message);
      return;
    }
    const deaths = this.options.deathCounts.increment(this.role);
    if (end.cause === 'load-failed') this.error = { code: 'LOAD_FAILED', message: message ?? 'the model did not load' };
    const delay = end.resurrectAt === null ? 0 : end.resurrectAt - Date.now();
    this.records.death(
      {
        at: Date.now(),
        deaths,
        cause: end.cause,
        pid: end.pid,
        signal: end.exit.signal,
        exitCode: end.exit.code,
        message,
        memoryBytes: this.options.memory(end.pid)?.rssBytes ?? null,
      },
      {
        model: this.config?.modelPath ?? null,
        lived: `${(end.livedMs / 1000).toFixed(1)}s`,
        resurrection: `${(delay / 1000).toFixed(1)}s`,
      },
      end.resurrectAt,
    );
    // Narration for the terminal and the log file; the panel shows the instance.death event itself.
    const { signal, code } = end.exit;
    this.options.log.info(
      this.role,
      `died (${end.cause}${signal ? `, ${signal}` : ''}${code !== null ? `, exit ${code}` : ''}); ` +
        `death ${deaths}; back in ${(delay / 1000).toFixed(1)} s${message ? `: ${message}` : ''}`,
    );
  }
}

/** A file's size and modification time, or null when it cannot be read: what tells that a model file changed. */
function fileStamp(file: string): string | null {
  try {
    const stat = fs.statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return null;
  }
}
