import { failureKind, isFailureKind, REPEATABLE_FAILURES, type FailureKind } from '../../../shared/failures.js';
import type { DeathCause, InstanceState, Role } from '../../../shared/instances.js';
import type { WorkerMessage } from '../../worker/protocol.js';
import { Emitter } from '../emitter.js';
import type { Enforcement, WorkerLimit } from '../enforcement/enforcement.js';
import type { Logger } from '../logger.js';
import { nextStreak, resurrectionDelay, type BackoffPolicy } from './backoff.js';
import { classifyExit, deathMessage, exitVerdict, type EndRequest } from './deathCause.js';
import { move } from './lifecycleStates.js';
import { WorkerProcess, type WorkerExit } from './workerProcess.js';

export interface LifecycleOptions {
  role: Role;
  log: Logger;
  backoff: BackoffPolicy;
  /** Grace between SIGTERM (or a stop request) and SIGKILL, ms; read at each kill, so a change applies live. */
  graceMs: () => number;
  /** The kernel-enforced limit, where the system has one. */
  enforcement: Enforcement;
  /** The instance's RAM limit now. */
  limitBytes: () => number;
}

/** How a worker ended, as the lifecycle saw it. */
export interface WorkerEnd {
  /** Null for a requested stop: no death. */
  cause: DeathCause | null;
  pid: number | null;
  exit: WorkerExit;
  /** Its last lines on stderr, oldest first. */
  stderr: readonly string[];
  livedMs: number;
  /** What is known of why (the worker's report, or the exit and stderr's last error), or null. */
  message: string | null;
  /** Set when the failure will happen again: no death, no resurrection; the instance waits for the operator. */
  blocked: FailureKind | null;
  /** When a death brings it back by itself (epoch ms), or null. */
  resurrectAt: number | null;
}

export type KillCause = Extract<EndRequest, { kind: 'kill' }>['cause'];

type Outgoing = Parameters<WorkerProcess['send']>[0];

/**
 * The process side of one instance: its state (moved only along lifecycleStates' table), its worker, the escalation
 * from SIGTERM (or a stop request) to SIGKILL on a clock, the cause of every exit, and the back-off before a dead
 * instance comes back. It decides nothing about thinking or records: those listen to its events.
 */
export class InstanceLifecycle {
  /** Every state change, after it happened. */
  readonly onState = new Emitter<{ state: InstanceState; detail?: string }>();
  /** Messages of the current worker (never of one that has been replaced). */
  readonly onMessage = new Emitter<WorkerMessage>();
  /** The worker ended; for a death, fired before the state becomes dead, so the records come first. */
  readonly onEnd = new Emitter<WorkerEnd>();
  /** The back-off is over: the instance is resurrecting and wants to start. */
  readonly onResurrect = new Emitter<void>();

  private current: InstanceState = 'stopped';
  private worker: WorkerProcess | null = null;
  private endRequest: EndRequest | null = null;
  private loaded = false;
  /** This life's reflections finished, and the worker's own report of a fatal error. */
  private reflected = false;
  private fatal: { message: string; failure: FailureKind | null } | null = null;
  /** The cause and message of the last death, while no life since has finished a reflection. */
  private lastFailure: string | null = null;
  private workerLimit: WorkerLimit | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private resurrectTimer: NodeJS.Timeout | null = null;
  private resurrection: number | null = null;
  private spawnedAt = 0;
  private streak = 0;

  constructor(private readonly options: LifecycleOptions) {}

  get state(): InstanceState {
    return this.current;
  }

  get pid(): number | null {
    return this.worker && !this.worker.exited ? this.worker.pid : null;
  }

  /** True while a worker runs that the watchdog may signal (loaded or loading, not already on its way out). */
  get killable(): boolean {
    return this.pid !== null && (this.current === 'loading' || this.current === 'thinking');
  }

  /** Epoch ms at which a dead instance comes back, or null. */
  get resurrectAt(): number | null {
    return this.resurrection;
  }

  /**
   * Moves along the table. A move the table does not have is refused and logged, never thrown: it would come out of a
   * timer or a child's exit and take the host, and the watchdog with it, down.
   */
  moveTo(state: InstanceState, detail?: string): boolean {
    try {
      this.current = move(this.current, state);
    } catch (error) {
      this.options.log.error(this.options.role, `refused: ${(error as Error).message}`);
      return false;
    }
    this.onState.fire(detail === undefined ? { state } : { state, detail });
    return true;
  }

  /** Starts a worker and sends it its first message; the state becomes loading. */
  spawn(init: Outgoing): void {
    this.endRequest = null;
    this.loaded = false;
    this.reflected = false;
    this.fatal = null;
    this.spawnedAt = Date.now();
    const { role, log, enforcement } = this.options;
    const limit = this.options.limitBytes();
    const worker = WorkerProcess.start({
      wrapper: enforcement.wrapper(role, limit),
      onMessage: (message) => {
        if (worker !== this.worker) return;
        this.note(message);
        this.onMessage.fire(message);
      },
      onOutput: (stream, line) => log[stream === 'stderr' ? 'warn' : 'info'](`${role} ${worker.pid ?? '?'}`, line),
    });
    this.worker = worker;
    this.workerLimit = null;
    if (worker.pid !== null) {
      try {
        this.workerLimit = enforcement.attach(role, worker.pid, limit);
      } catch (error) {
        log.warn(role, `no kernel limit for this worker: ${(error as Error).message}`);
      }
    }
    worker.onExit((exit) => this.onExit(worker, exit));
    worker.send(init);
    this.moveTo('loading');
  }

  send(message: Outgoing): void {
    this.worker?.send(message);
  }

  /** A new limit for the running worker: the kernel's line never drops under what it holds now. */
  updateLimit(bytes: number, heldBytes: number): void {
    this.workerLimit?.setLimit(bytes, heldBytes);
  }

  /**
   * Graceful stop: no death. The worker is asked to finish, and SIGKILLed after the grace if it does not. A worker
   * already on its way out (a kill under way) is only waited for: its death stays a death.
   */
  async stop(): Promise<void> {
    this.cancelResurrection();
    const worker = this.worker;
    if (!worker || worker.exited) {
      this.moveTo('stopped');
      return;
    }
    if (this.current === 'dying') {
      await worker.waitForExit(this.options.graceMs() + 5000);
      return;
    }
    this.endRequest = { kind: 'stop' };
    this.moveTo('dying', 'stopping');
    worker.send({ kind: 'stop' });
    this.armKillTimer(this.options.graceMs());
    await worker.waitForExit(this.options.graceMs() + 5000);
  }

  /**
   * Ends the worker as a death with the given cause: SIGKILL at once for the operator's kill, SIGTERM then SIGKILL
   * after the grace for the watchdog. False when there is no live worker to kill.
   */
  kill(cause: KillCause, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', onSigkill?: () => void): boolean {
    const worker = this.worker;
    if (!worker || worker.exited) return false;
    this.endRequest = { kind: 'kill', cause };
    this.moveTo('dying', cause);
    worker.kill(signal);
    if (signal !== 'SIGKILL') this.armKillTimer(this.options.graceMs(), onSigkill);
    return true;
  }

  /**
   * The operator asked for a start (or changed what a blocked instance waits on): a pending resurrection is cut
   * short, the streak of quick deaths and the last failure forgiven.
   */
  forgive(): void {
    this.cancelResurrection();
    this.streak = 0;
    this.lastFailure = null;
  }

  /** Stops the timers and drops every listener; the worker itself is left to the host's shutdown. */
  dispose(): void {
    this.cancelResurrection();
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    for (const emitter of [this.onState, this.onMessage, this.onEnd, this.onResurrect]) emitter.clear();
  }

  private onExit(worker: WorkerProcess, exit: WorkerExit): void {
    if (worker !== this.worker) return;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    const oomKilled = (this.workerLimit?.oomKills() ?? 0) > 0;
    this.workerLimit?.release();
    this.workerLimit = null;
    const cause = classifyExit({
      request: this.endRequest,
      code: exit.code,
      signal: exit.signal,
      loaded: this.loaded,
      oomKilled,
    });
    this.worker = null;
    this.endRequest = null;
    const livedMs = Date.now() - this.spawnedAt;
    const message = cause === null ? null : deathMessage(cause, exit, worker.stderr, this.fatal?.message ?? null);
    const end = { cause, pid: worker.pid, exit, stderr: worker.stderr, livedMs, message };
    if (cause === null) {
      this.onEnd.fire({ ...end, blocked: null, resurrectAt: null });
      this.moveTo('stopped');
      return;
    }
    const signature = `${cause}: ${message ?? ''}`;
    const verdict = exitVerdict({
      cause,
      failure: this.fatal?.failure ?? null,
      signature,
      previous: this.lastFailure,
      reflected: this.reflected,
    });
    if (verdict.kind === 'blocked') {
      this.onEnd.fire({ ...end, blocked: verdict.failure, resurrectAt: null });
      this.moveTo('blocked', REPEATABLE_FAILURES[verdict.failure].reason);
      return;
    }
    this.lastFailure = this.reflected ? null : signature;
    this.streak = nextStreak(this.streak, livedMs, this.options.backoff);
    const delay = resurrectionDelay(this.streak, this.options.backoff);
    this.resurrection = Date.now() + delay;
    this.onEnd.fire({ ...end, blocked: null, resurrectAt: this.resurrection });
    this.moveTo('dead');
    this.resurrectTimer = setTimeout(() => {
      this.resurrectTimer = null;
      this.resurrection = null;
      this.moveTo('resurrecting');
      this.onResurrect.fire();
    }, delay);
  }

  /** What the lifecycle itself needs of the worker's messages to judge its exit. */
  private note(message: WorkerMessage): void {
    if (message.kind === 'loaded') this.loaded = true;
    if (message.kind === 'reflection-end' && message.complete) {
      this.reflected = true;
      this.lastFailure = null;
    }
    if (message.kind === 'fatal') {
      this.fatal = {
        message: message.error.message,
        failure: isFailureKind(message.failure) ? message.failure : failureKind(message.error.message),
      };
    }
  }

  private armKillTimer(graceMs: number, onSigkill?: () => void): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      if (this.worker?.kill('SIGKILL')) onSigkill?.();
    }, graceMs);
  }

  private cancelResurrection(): void {
    if (this.resurrectTimer) clearTimeout(this.resurrectTimer);
    this.resurrectTimer = null;
    this.resurrection = null;
  }
}
