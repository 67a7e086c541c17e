import { spawn, type ChildProcess } from 'node:child_process';

import { onLines } from '../lines.js';

/**
 * One long-running child that prints a line per sample (nvidia-smi -lms, tegrastats --interval), read line by line.
 * Never one process per sample: it is restarted only when it dies, or when it stops printing for `staleAfterMs`
 * (a hung driver), with back-off. A command that does not exist is given up on at once.
 */
export interface StreamMonitorOptions {
  command: string;
  args: string[];
  staleAfterMs: number;
  onLine: (line: string) => void;
  /** Told each time the child is (re)started, and when it is given up on. */
  onStatus?: (status: { kind: 'started' | 'restarting' | 'gave-up'; reason: string; starts: number }) => void;
}

export class StreamMonitor {
  private child: ChildProcess | null = null;
  private lastLineAt = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = 500;
  private stopped = false;
  starts = 0;

  constructor(private readonly options: StreamMonitorOptions) {}

  start(): void {
    this.stopped = false;
    this.launch();
    this.watchdog = setInterval(
      () => {
        if (this.child && Date.now() - this.lastLineAt > this.options.staleAfterMs) {
          this.restart(`no output for ${Math.round((Date.now() - this.lastLineAt) / 1000)} s`);
        }
      },
      Math.max(250, this.options.staleAfterMs / 4),
    );
    this.watchdog.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.child?.kill('SIGKILL');
    this.child = null;
  }

  private launch(): void {
    if (this.stopped) return;
    this.starts += 1;
    const child = spawn(this.options.command, this.options.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    this.lastLineAt = Date.now();
    onLines(child.stdout!, (line) => {
      this.lastLineAt = Date.now();
      this.retryMs = 500;
      this.options.onLine(line);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        this.stopped = true;
        this.child = null;
        this.options.onStatus?.({
          kind: 'gave-up',
          reason: `${this.options.command} is not installed`,
          starts: this.starts,
        });
      }
    });
    child.on('exit', (code, signal) => {
      if (child !== this.child || this.stopped) return;
      this.child = null;
      this.scheduleRetry(`${this.options.command} exited (${signal ?? `code ${code}`})`);
    });
    this.options.onStatus?.({ kind: 'started', reason: '', starts: this.starts });
  }

  private restart(reason: string): void {
    const child = this.child;
    this.child = null;
    child?.kill('SIGKILL');
    this.scheduleRetry(reason);
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped || this.retryTimer) return;
    this.options.onStatus?.({ kind: 'restarting', reason, starts: this.starts });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.launch();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(30_000, this.retryMs * 2);
  }
}
