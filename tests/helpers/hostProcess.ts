import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { HostEvent } from '../../shared/events.js';
import { onLines } from '../../electron/core/lines.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type EventOf<T extends HostEvent['type']> = Extract<HostEvent, { type: T }>;

interface Launch {
  /** The entry script and its flags, after `node`. */
  argv: string[];
  dataDir: string;
  env: NodeJS.ProcessEnv | undefined;
  /** Piped and kept (for the failure messages of tests), or passed to the terminal (benchmarks, as they run). */
  stderr: 'pipe' | 'inherit';
  /** How long a wait lasts unless told otherwise. */
  waitMs: number;
  /** A benchmark's data is never looked at afterwards; a test's may be, by the next host or the test itself. */
  removeDataDirOnStop: boolean;
}

/**
 * A real headless host in its own process, with --json-events parsed line by line: run from source (tsx) for the
 * tests, or built (dist/, as shipped) for the benchmarks. Both wait for the events the host emits, never for sleeps.
 */
export class HostProcess {
  readonly events: HostEvent[] = [];
  /** When each event arrived (Date.now()), parallel to `events`. */
  readonly arrivals: number[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  readonly dataDir: string;
  private readonly waiters = new Set<() => void>();
  private exitCode: number | null | undefined = undefined;
  private exitSignal: NodeJS.Signals | null = null;

  private constructor(private readonly launch: Launch) {
    this.dataDir = launch.dataDir;
    this.child = spawn(process.execPath, launch.argv, {
      cwd: root,
      stdio: ['ignore', 'pipe', launch.stderr],
      env: { ...process.env, ...launch.env },
    });
    onLines(this.child.stdout!, (line) => {
      try {
        this.events.push(JSON.parse(line) as HostEvent);
        this.arrivals.push(Date.now());
      } catch {
        this.stderr.push(`(stdout, not JSON) ${line}`);
      }
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr.push(chunk);
      this.notify();
    });
    this.child.on('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
      this.notify();
    });
  }

  /**
   * A host from source, with a fresh data directory unless one is given. Threads 1, no pause between thoughts, 48
   * tokens a reflection, any free port, unless `args` says otherwise (a flag may be given only once).
   */
  static start(args: string[], options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): HostProcess {
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bij-data-'));
    const defaults = Object.entries({ '--threads': '1', '--think-pause': '0', '--max-tokens': '48', '--web-port': '0' })
      .filter(([flag]) => !args.includes(flag))
      .flat();
    return new HostProcess({
      argv: [
        '--import',
        'tsx',
        path.join(root, 'electron/headless.ts'),
        '--json-events',
        '--data-dir',
        dataDir,
        ...defaults,
        ...args,
      ],
      dataDir,
      env: options.env,
      stderr: 'pipe',
      waitMs: 30_000,
      removeDataDirOnStop: false,
    });
  }

  /**
   * The built host (`npm run build`), without tsx or the tests' defaults, as a benchmark measures it; its stderr goes
   * to the terminal (or is piped and kept, for a benchmark that reads it) and its data directory is removed when it
   * stops, unless it is given one (which it keeps).
   */
  static startBuilt(
    args: string[],
    env?: NodeJS.ProcessEnv,
    keptDataDir?: string,
    stderr: Launch['stderr'] = 'inherit',
  ): HostProcess {
    const dataDir = keptDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bij-bench-'));
    return new HostProcess({
      argv: [
        path.join(root, 'dist/electron/headless.js'),
        '--json-events',
        '--web-port',
        '0',
        '--data-dir',
        dataDir,
        ...args,
      ],
      dataDir,
      env,
      stderr,
      waitMs: 60_000,
      removeDataDirOnStop: keptDataDir === undefined,
    });
  }

  /** When `event` (one of `events`) arrived. */
  arrivalOf(event: HostEvent): number {
    return this.arrivals[this.events.indexOf(event)]!;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitCode === undefined ? null : { code: this.exitCode, signal: this.exitSignal };
  }

  of<T extends HostEvent['type']>(type: T): EventOf<T>[] {
    return this.events.filter((event): event is EventOf<T> => event.type === type);
  }

  /** Resolves with the first event (from `fromIndex` on) of that type that matches. */
  waitFor<T extends HostEvent['type']>(
    type: T,
    predicate: (event: EventOf<T>) => boolean = () => true,
    timeoutMs = this.launch.waitMs,
    fromIndex = 0,
  ): Promise<EventOf<T>> {
    return this.waitUntil(
      () =>
        this.events
          .slice(fromIndex)
          .find((event): event is EventOf<T> => event.type === type && predicate(event as EventOf<T>)),
      `${type}`,
      timeoutMs,
    );
  }

  /** Resolves with the first non-undefined value of `probe`, checked on every output of the host. */
  waitUntil<T>(probe: () => T | undefined, what: string, timeoutMs = this.launch.waitMs): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          cleanup();
          resolve(value);
          return;
        }
        if (this.exited) {
          cleanup();
          reject(
            new Error(
              `host exited (${JSON.stringify(this.exited)}) while waiting for ${what}\n${this.stderr.join('')}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.stderr.join('').slice(-2000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Asks the host to stop (SIGTERM) and waits for it; SIGKILL if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      try {
        await this.waitUntil(() => (this.exited ? true : undefined), 'exit', timeoutMs);
      } catch {
        this.child.kill('SIGKILL');
        await this.waitUntil(() => (this.exited ? true : undefined), 'exit after SIGKILL', 5000);
      }
    }
    if (this.launch.removeDataDirOnStop) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True once the process has exited: gone, or a zombie its parent has not reaped (which holds no memory). */
export function isGone(pid: number): boolean {
  return !isAlive(pid) || isZombie(pid);
}

/**
 * Polls every 10 ms until the process is gone; resolves with the moment (Date.now()) it was first seen gone, so that
 * the caller measures from its own moment; rejects after `timeoutMs`.
 */
export async function waitForProcessGone(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (isGone(pid)) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`process ${pid} still alive after ${timeoutMs} ms`);
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
