import { LineBudget } from './lineBudget.js';
import type { Logger } from './logger.js';

/**
 * The last line of defence. The host is the board's safety: when it dies the watchdog dies with it and the workers
 * go too. So an error nothing else caught (a throw in a timer or a callback, a rejection nobody awaited, an 'error'
 * event nobody listens to) is logged and counted here, and the host goes on. Each one is a bug to fix where it
 * happened: the count is in the snapshot (`caught`), and the fuzz test and the soak end with it at 0.
 *
 * One per process, as the process events it listens to are.
 */
export class LastResort {
  private count = 0;
  private log: Logger | null = null;
  private installed = false;
  /** More lines than this a minute would only fill the disk; the count goes on. */
  private readonly lines = new LineBudget(20);
  private readonly onException = (error: unknown) => this.note('host', 'an uncaught exception', error);
  private readonly onRejection = (reason: unknown) => this.note('host', 'an unhandled rejection', reason);

  /** How many errors were caught since the process started. */
  get caught(): number {
    return this.count;
  }

  /** Listens for what nothing else caught; idempotent. */
  install(): void {
    if (this.installed) return;
    this.installed = true;
    process.on('uncaughtException', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }

  uninstall(): void {
    this.installed = false;
    process.off('uncaughtException', this.onException);
    process.off('unhandledRejection', this.onRejection);
  }

  /** Where the lines go once the host has a logger; before that (and after null), to stderr. */
  attach(log: Logger | null): void {
    this.log = log;
  }

  /** Counts and logs an error a safety net caught: these process handlers, or a transport's own (a request's). */
  note(source: string, what: string, error: unknown, now = Date.now()): void {
    this.count++;
    if (!this.lines.take(now)) return;
    const message = `caught ${what} (${this.count} since start; the host goes on): ${describeError(error)}`;
    try {
      if (this.log) this.log.error(source, message);
      else process.stderr.write(`brain-in-jar: [${source}] ${message}\n`);
    } catch {
      // Logging failed as well: throwing from here would end the process, which is what this class prevents.
    }
  }
}

/** The message and the first frames of the stack: enough to find the place, short enough for the event log. */
function describeError(error: unknown): string {
  if (error instanceof Error) {
    const stack = (error.stack ?? `${error.name}: ${error.message}`).split('\n').slice(0, 6);
    return stack.map((line) => line.trim()).join(' | ');
  }
  try {
    return `a thrown ${typeof error}: ${String(error)}`;
  } catch {
    return `a thrown ${typeof error}`;
  }
}

export const lastResort = new LastResort();
