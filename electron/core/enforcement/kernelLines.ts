import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';

import type { Role } from '../../../shared/instances.js';
import { unpackedPath } from '../asarPath.js';
import { LIMIT_ACTION_FRACTION } from '../watchdog/policy.js';
import type { FromWatcher, InstanceLine, ToWatcher } from './kernelLineProtocol.js';

export type KernelSignal = Extract<FromWatcher, { kind: 'signaled' }>;

/** Lines the kernel holds (cgroup v1 thresholds, or v2 memory.high), placed each sample where the watchdog has them. */
export interface LineWatcher {
  /** Why the lines are not held by the kernel after all, or null while they are. */
  readonly failed: string | null;
  onSignal(listener: (signal: KernelSignal) => void): () => void;
  watch(id: string, role: Role, pid: number, dir: string, limitBytes: number): void;
  unwatch(id: string): void;
  update(sample: LineSample): void;
  dispose(): void;
}

/** What one sample says of the lines, as the host's watchdog measures them (MemAvailable, RssAnon + RssFile). */
export interface LineSample {
  ramUsedBytes: number;
  ramTotalBytes: number;
  /** Percent of RAM. */
  ramThreshold: number;
  instances: Array<{ role: Role; pid: number; rssBytes: number; limitBytes: number; spare: boolean }>;
  victimPolicy: 'largest' | 'role-order';
  graceMs: number;
}

/**
 * The thread: the built .js (the unpacked copy in the packaged app). From source (.ts, under tsx) a thread does not
 * inherit tsx's loader on Node 20, so a bootstrap registers it in the thread before importing the script.
 */
function startThread(options: ConstructorParameters<typeof Worker>[1]): Worker {
  const here = fileURLToPath(import.meta.url);
  const script = pathToFileURL(unpackedPath(path.join(path.dirname(here), `lineWatchThread${path.extname(here)}`)));
  if (path.extname(here) !== '.ts') return new Worker(script, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function usageOf(dir: string): number | null {
  try {
    return Number(fs.readFileSync(path.join(dir, 'memory.usage_in_bytes'), 'utf8').trim());
  } catch {
    return null;
  }
}

/**
 * The main thread's side of the kernel line watcher (lineWatchThread.ts): cgroup v1 usage thresholds on each
 * worker's group (its own limit) and on the instances' parent group (the board's line, as their share of it).
 * The kernel counts usage_in_bytes, the watchdog MemAvailable and RSS: each sample places every threshold at the
 * group's usage now plus the headroom the watchdog measures now, so both agree on where the line is.
 */
export class KernelLines implements LineWatcher {
  private worker: Worker | null = null;
  private port: MessageChannel['port1'] | null = null;
  private wakeFd: number | null = null;
  private queue: ToWatcher[] = [];
  private readonly groups = new Map<string, { role: Role; pid: number; dir: string }>();
  private failure: string | null = null;
  private readonly listeners = new Set<(signal: KernelSignal) => void>();

  constructor(private readonly boardDir: string) {}

  /** Why the thread is not holding the lines (it failed to start, or stopped), or null while it does. */
  get failed(): string | null {
    return this.failure;
  }

  onSignal(listener: (signal: KernelSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A worker's group, its line at first where its limit says (the next sample places it exactly). */
  watch(id: string, role: Role, pid: number, dir: string, limitBytes: number): void {
    this.groups.set(id, { role, pid, dir });
    const line = limitBytes * LIMIT_ACTION_FRACTION;
    this.post({ kind: 'watch', id, role, pid, dir, line: { thresholdBytes: line, rssLineBytes: line } });
  }

  unwatch(id: string): void {
    if (!this.groups.delete(id)) return;
    this.post({ kind: 'unwatch', id });
  }

  /** Places every line where this sample says it is. */
  update(sample: LineSample): void {
    if (this.groups.size === 0 && !this.worker) return;
    const instances: Record<string, InstanceLine | null> = {};
    for (const [id, group] of this.groups) {
      const memory = sample.instances.find((one) => one.role === group.role && one.pid === group.pid);
      const usage = memory && !memory.spare ? usageOf(group.dir) : null;
      const rssLineBytes = (memory?.limitBytes ?? 0) * LIMIT_ACTION_FRACTION;
      instances[id] = usage === null ? null : { thresholdBytes: usage + rssLineBytes - memory!.rssBytes, rssLineBytes };
    }
    const groupUsage = this.groups.size > 0 ? usageOf(this.boardDir) : null;
    const line = sample.ramTotalBytes * (sample.ramThreshold / 100);
    this.post({
      kind: 'lines',
      instances,
      board:
        groupUsage === null
          ? null
          : { dir: this.boardDir, thresholdBytes: groupUsage + line - sample.ramUsedBytes, lineBytes: line },
      victimPolicy: sample.victimPolicy,
      spare: sample.instances.filter((one) => one.spare).map((one) => one.role),
      graceMs: sample.graceMs,
    });
  }

  dispose(): void {
    this.post({ kind: 'stop' });
    this.worker?.unref();
    this.port?.close();
    this.listeners.clear();
  }

  private post(message: ToWatcher): void {
    if (this.failure) return;
    this.start();
    if (this.wakeFd === null) {
      this.queue.push(message);
      return;
    }
    this.port!.postMessage(message);
    this.wake();
  }

  private wake(): void {
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    try {
      fs.writeSync(this.wakeFd!, one);
    } catch (error) {
      this.failure = `cannot wake the line watcher: ${(error as Error).message}`;
    }
  }

  private start(): void {
    if (this.worker) return;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // The host's exit is not held up by the thread; the workers' own exits end what it watches.
    this.worker = startThread({ workerData: { port: port2 }, transferList: [port2] });
    this.worker.unref();
    port1.unref();
    this.worker.on('error', (error) => (this.failure = `the line watcher failed: ${error.message}`));
    this.worker.on('exit', () => (this.failure ??= 'the line watcher stopped'));
    port1.on('message', (message: FromWatcher) => {
      if (message.kind === 'ready') {
        this.wakeFd = message.wakeFd;
        for (const queued of this.queue.splice(0)) this.port!.postMessage(queued);
        this.wake();
      } else if (message.kind === 'failed') {
        this.failure = `the line watcher failed: ${message.message}`;
      } else {
        for (const listener of this.listeners) listener(message);
      }
    });
  }
}
