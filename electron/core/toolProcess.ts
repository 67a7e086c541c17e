import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * An external tool's process (nvidia-smi, tegrastats, the backend probe), in a process group of its own so that a
 * stuck one is killed with whatever it started (a shell's child, a helper that also ignores SIGTERM). A process that
 * SIGKILL cannot end (D state: asleep in the driver, how a real nvidia-smi hangs) is abandoned: it is reported, and no
 * new process of the same command starts while it is there, so a hung driver costs one process, never one per query
 * or per restart.
 */

/** Sends a signal to a whole process group; a test hands in one that a process survives. */
export type KillGroup = (pid: number, signal: NodeJS.Signals) => void;

export const killGroup: KillGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
};

/** How long a process may take to go after SIGKILL before it is taken for stuck in the kernel. */
export const KILL_WAIT_MS = 2000;

/** A process of a command that SIGKILL did not end, left to the kernel. */
export interface StuckTool {
  command: string;
  pid: number;
  since: number;
  /** Resolves when it finally exits (the driver let it go). */
  exited: Promise<void>;
}

const stuck = new Map<string, StuckTool>();
const live = new Set<ToolProcess>();

/** The process of `command` that could not be killed, while it is still there. */
export function stuckTool(command: string): StuckTool | null {
  return stuck.get(command) ?? null;
}

/** "nvidia-smi" for "/usr/bin/nvidia-smi" or a test's stand-in of that name: what a person calls the tool. */
export function toolName(command: string): string {
  return path.basename(command);
}

export interface ToolSpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** An IPC channel, so that a Node child can tell when the host is gone (its 'disconnect'). */
  ipc?: boolean;
  /** Its stderr piped too, for a tool whose failure says why only there. */
  stderr?: boolean;
  kill?: KillGroup;
  killWaitMs?: number;
}

export class ToolProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, or failed to start. */
  readonly exited: Promise<void>;
  private done = false;
  private readonly kill: KillGroup;
  private readonly killWaitMs: number;

  private constructor(
    readonly command: string,
    args: readonly string[],
    options: ToolSpawnOptions,
  ) {
    this.kill = options.kill ?? killGroup;
    this.killWaitMs = options.killWaitMs ?? KILL_WAIT_MS;
    this.child = spawn(command, args, {
      detached: true,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', options.stderr ? 'pipe' : 'ignore', ...(options.ipc ? ['ipc' as const] : [])],
    });
    live.add(this);
    if (live.size === 1 && !exitHookInstalled) installExitHook();
    this.exited = new Promise((resolve) => {
      const finish = () => {
        this.done = true;
        live.delete(this);
        resolve();
      };
      this.child.once('exit', finish);
      this.child.once('error', finish);
    });
    // Whatever the tool left behind in its group goes with it: a query's helper has no business outliving it.
    this.child.once('exit', () => this.kill(this.child.pid!, 'SIGKILL'));
  }

  /** Starts `command`, or returns the process of it that is stuck (nothing new is started then). */
  static spawn(command: string, args: readonly string[], options: ToolSpawnOptions = {}): ToolProcess | StuckTool {
    return stuckTool(command) ?? new ToolProcess(command, args, options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.done;
  }

  /**
   * SIGKILL to the whole group; 'gone' once the process has exited, 'stuck' when it is still there after the wait:
   * then it is abandoned (see stuckTool) until it exits.
   */
  async end(): Promise<'gone' | 'stuck'> {
    if (this.done || this.child.pid === undefined) return 'gone';
    this.kill(this.child.pid, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      this.exited.then(() => 'gone' as const),
      new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), this.killWaitMs))),
    ]);
    clearTimeout(timer);
    if (waited === 'stuck') {
      const entry: StuckTool = { command: this.command, pid: this.child.pid, since: Date.now(), exited: this.exited };
      stuck.set(this.command, entry);
      void this.exited.then(() => {
        if (stuck.get(this.command) === entry) stuck.delete(this.command);
      });
      // An abandoned process must not keep the host alive, nor its pipes.
      this.child.unref();
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
      if (this.child.connected) this.child.disconnect();
    }
    return waited;
  }
}

let exitHookInstalled = false;

/** A host that exits takes its tools' groups with it (the tools are detached, so nothing else would). */
function installExitHook(): void {
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const tool of live) if (tool.pid !== undefined) killGroup(tool.pid, 'SIGKILL');
  });
}
