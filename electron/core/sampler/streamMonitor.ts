import type { GpuToolHealth } from '../../../shared/metrics.js';
import { onLines } from '../lines.js';
import { stuckTool, toolName, ToolProcess, type KillGroup, type StuckTool } from '../toolProcess.js';

/**
 * One long-running child that prints a line per sample (nvidia-smi -lms, tegrastats --interval), read line by line.
 * Never one process per sample, and never more than one at a time: it is restarted when it dies, or when it gives no
 * usable line for `staleAfterMs` (a hung driver, garbage), killed with its whole process group, with exponential
 * back-off. A child that SIGKILL cannot end (D state) is abandoned and no other is started until it exits. A command
 * that does not exist is given up on at once. `health` says whether the lines are live, so that the figures of a
 * silent tool are shown as unknown, never as the last ones seen.
 */
export interface Backoff {
  firstMs: number;
  maxMs: number;
  /** A child that has run this long and still answers resets the back-off. */
  healthyAfterMs: number;
}

/** 0.5 s doubling to a minute: a tool that prints and exits costs a process a minute, not two a second. */
export const RESTART_BACKOFF: Backoff = { firstMs: 500, maxMs: 60_000, healthyAfterMs: 30_000 };

export interface MonitorStatus {
  kind: 'started' | 'restarting' | 'stuck' | 'gave-up';
  reason: string;
  starts: number;
  /** With 'restarting': when the next start comes. */
  retryInMs?: number;
}

export interface StreamMonitorOptions {
  command: string;
  args: string[];
  /** No usable line for this long: the figures are stale, and the child is restarted. */
  staleAfterMs: number;
  /** Takes each line; returns false when it held nothing usable (garbage): that is not the tool answering. */
  onLine: (line: string) => unknown;
  /** Told each time the child is (re)started, abandoned, and given up on. */
  onStatus?: (status: MonitorStatus) => void;
  backoff?: Backoff;
  kill?: KillGroup;
  killWaitMs?: number;
}

export class StreamMonitor {
  private child: ToolProcess | null = null;
  private readonly name: string;
  private readonly backoff: Backoff;
  private startedAt = 0;
  private childStartedAt = 0;
  private lastGoodAt: number | null = null;
  private lastLineAt: number | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs: number;
  private stopped = true;
  private gaveUp: string | null = null;
  private stuck: StuckTool | null = null;
  starts = 0;

  constructor(private readonly options: StreamMonitorOptions) {
    this.name = toolName(options.command);
    this.backoff = options.backoff ?? RESTART_BACKOFF;
    this.retryMs = this.backoff.firstMs;
  }

  start(): void {
    this.stopped = false;
    this.gaveUp = null;
    this.startedAt = Date.now();
    this.launch();
    this.watchdog = setInterval(() => this.checkStale(), Math.max(250, this.options.staleAfterMs / 4));
    this.watchdog.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const child = this.child;
    this.child = null;
    void child?.end();
  }

  /** Whether the latest usable line is within the stale window, and if not, why (for the panel and the log). */
  health(now = Date.now()): GpuToolHealth {
    if (this.gaveUp) return { state: 'gave-up', note: this.gaveUp };
    if (this.stuck)
      return { state: 'stuck', note: `${this.name} (pid ${this.stuck.pid}) is stuck and cannot be killed` };
    const { staleAfterMs } = this.options;
    if (this.lastGoodAt !== null && now - this.lastGoodAt <= staleAfterMs) return { state: 'live', note: '' };
    if (this.lastGoodAt === null && now - this.startedAt <= staleAfterMs) {
      return { state: 'waiting', note: `${this.name} has not answered yet` };
    }
    const seconds = Math.round((now - (this.lastGoodAt ?? this.startedAt)) / 1000);
    const printing = this.lastLineAt !== null && now - this.lastLineAt <= staleAfterMs;
    return {
      state: 'stale',
      note: printing
        ? `${this.name} prints no usable figures (for ${seconds} s)`
        : `${this.name} not answering for ${seconds} s`,
    };
  }

  private launch(): void {
    if (this.stopped) return;
    const { command, args, kill, killWaitMs } = this.options;
    const started = ToolProcess.spawn(command, args, {
      ...(kill && { kill }),
      ...(killWaitMs !== undefined && { killWaitMs }),
    });
    if (!(started instanceof ToolProcess)) {
      this.abandon(started);
      return;
    }
    this.starts += 1;
    this.child = started;
    this.childStartedAt = Date.now();
    onLines(started.child.stdout!, (line) => {
      if (started !== this.child) return;
      const now = Date.now();
      this.lastLineAt = now;
      if (this.options.onLine(line) === false) return;
      this.lastGoodAt = now;
      if (now - this.childStartedAt >= this.backoff.healthyAfterMs) this.retryMs = this.backoff.firstMs;
    });
    started.child.on('error', (error: NodeJS.ErrnoException) => {
      if (started !== this.child) return;
      this.child = null;
      if (error.code === 'ENOENT') {
        this.stopped = true;
        this.gaveUp = `${this.name} is not installed`;
        this.options.onStatus?.({ kind: 'gave-up', reason: this.gaveUp, starts: this.starts });
      } else {
        this.scheduleRetry(`${this.name} could not start: ${error.message}`);
      }
    });
    started.child.on('exit', (code, signal) => {
      if (started !== this.child || this.stopped) return;
      this.child = null;
      this.scheduleRetry(`${this.name} exited (${signal ?? `code ${code}`})`);
    });
    this.options.onStatus?.({ kind: 'started', reason: '', starts: this.starts });
  }

  private checkStale(): void {
    if (!this.child) return;
    const quietSince = Math.max(this.childStartedAt, this.lastGoodAt ?? 0);
    const quietMs = Date.now() - quietSince;
    if (quietMs > this.options.staleAfterMs) {
      const garbage = this.lastLineAt !== null && this.lastLineAt > quietSince;
      void this.restart(`${this.name} gave no ${garbage ? 'usable ' : ''}output for ${Math.round(quietMs / 1000)} s`);
    }
  }

  /** Kills the child's group and starts another after the back-off, unless it cannot be killed. */
  private async restart(reason: string): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const ended = await child.end();
    if (this.stopped) return;
    const left = ended === 'stuck' ? stuckTool(this.options.command) : null;
    if (left) this.abandon(left);
    else this.scheduleRetry(reason);
  }

  /** One process of the tool is stuck in the kernel: no other is started until it exits, and that is said. */
  private abandon(stuck: StuckTool): void {
    this.stuck = stuck;
    this.options.onStatus?.({
      kind: 'stuck',
      reason: `${this.name} (pid ${stuck.pid}) cannot be killed (stuck in the driver?); no new one starts until it exits`,
      starts: this.starts,
    });
    void stuck.exited.then(() => {
      if (this.stuck !== stuck) return;
      this.stuck = null;
      this.scheduleRetry(`the stuck ${this.name} (pid ${stuck.pid}) exited at last`);
    });
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped || this.retryTimer) return;
    const retryInMs = this.retryMs;
    this.options.onStatus?.({ kind: 'restarting', reason, starts: this.starts, retryInMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.launch();
    }, retryInMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.backoff.maxMs, this.retryMs * 2);
  }
}
