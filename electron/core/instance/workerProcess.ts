import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { unpackedPath } from '../asarPath.js';
import { onLines } from '../lines.js';
import { isWorkerMessage, type HostMessage, type WorkerMessage } from '../../worker/protocol.js';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type Outgoing = HostMessage extends infer M ? (M extends HostMessage ? Omit<M, 'seq'> : never) : never;

/**
 * A script of electron/worker/: .ts when the host runs from source (tsx), .js when built, and in the packaged app the
 * unpacked copy beside app.asar (electron-builder.yml unpacks dist/electron). BRAIN_IN_JAR_WORKER_SCRIPT
 * replaces the instance worker with another that speaks the same protocol: the tests and benchmarks use a memory
 * hog there, to drive the watchdog with real processes at known fill rates.
 */
export function workerScript(name: 'main' | 'probe' | 'inventory'): string {
  if (name === 'main' && process.env.BRAIN_IN_JAR_WORKER_SCRIPT) return process.env.BRAIN_IN_JAR_WORKER_SCRIPT;
  const here = fileURLToPath(import.meta.url);
  return unpackedPath(path.join(path.dirname(here), '..', '..', 'worker', `${name}${path.extname(here)}`));
}

/**
 * Flags a worker needs from the host's own command line: the loaders (tsx) that let it run from source, and nothing
 * else (an --inspect port, say, must not be inherited).
 */
export function loaderArgs(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === '--import' || arg === '--require' || arg === '--loader' || arg === '-r') {
      kept.push(arg, execArgv[i + 1] ?? '');
      i++;
    } else if (/^--(import|require|loader|experimental-loader)=/.test(arg)) {
      kept.push(arg);
    }
  }
  return kept;
}

/**
 * One worker process: start, send, kill, wait for its exit. Keeps the last lines it wrote to stderr, because
 * llama.cpp prints the reason of an abort there (GGML_ASSERT) and nowhere else.
 */
export class WorkerProcess {
  private readonly child: ChildProcess;
  private exitInfo: WorkerExit | null = null;
  private readonly exitWaiters: Array<(exit: WorkerExit) => void> = [];
  private readonly stderrTail: string[] = [];
  private seq = 0;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.once('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      for (const waiter of this.exitWaiters.splice(0)) waiter(this.exitInfo);
    });
  }

  static start(options: {
    onMessage: (message: WorkerMessage) => void;
    onOutput: (stream: 'stdout' | 'stderr', line: string) => void;
    /** A command the worker runs under (systemd-run for a scope with MemoryMax), or null. */
    wrapper?: string[] | null;
  }): WorkerProcess {
    // Under Electron, process.execPath is the Electron binary: this makes the child a plain Node process.
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    const stdio: Array<'ignore' | 'pipe' | 'ipc'> = ['ignore', 'pipe', 'pipe', 'ipc'];
    const child = options.wrapper
      ? spawn(
          options.wrapper[0]!,
          [...options.wrapper.slice(1), process.execPath, ...loaderArgs(), workerScript('main')],
          {
            env,
            stdio,
          },
        )
      : fork(workerScript('main'), [], { execArgv: loaderArgs(), env, stdio });
    const worker = new WorkerProcess(child);
    child.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) options.onMessage(message);
    });
    // A send to a worker that just died fails asynchronously; the exit handler deals with the death.
    child.on('error', () => undefined);
    for (const stream of ['stdout', 'stderr'] as const) {
      const output = child[stream];
      if (!output) continue;
      onLines(output, (line) => {
        if (stream === 'stderr') worker.rememberStderr(line);
        options.onOutput(stream, line);
      });
    }
    return worker;
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  get exited(): WorkerExit | null {
    return this.exitInfo;
  }

  /** The last lines the worker wrote to stderr, oldest first. */
  get stderr(): readonly string[] {
    return this.stderrTail;
  }

  send(message: Outgoing): void {
    if (this.exitInfo || !this.child.connected) return;
    this.child.send({ seq: ++this.seq, ...message });
  }

  /** Sends a signal; false when the process is already gone. */
  kill(signal: NodeJS.Signals): boolean {
    if (this.exitInfo) return false;
    return this.child.kill(signal);
  }

  /** Resolves with the exit, or with null if it has not exited within `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<WorkerExit | null> {
    if (this.exitInfo) return Promise.resolve(this.exitInfo);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.exitWaiters.push((exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
  }

  onExit(listener: (exit: WorkerExit) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitWaiters.push(listener);
  }

  private rememberStderr(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > 20) this.stderrTail.shift();
  }
}
