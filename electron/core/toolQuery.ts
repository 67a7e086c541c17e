import { toolName, ToolProcess, type ToolSpawnOptions } from './toolProcess.js';

/** What one query of a tool came to. */
export type ToolOutcome =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
  /** The command does not exist here (no NVIDIA driver, say): not a fault. */
  | { kind: 'missing'; reason: string }
  /** It did not answer in time (killed, or stuck and abandoned), or could not start. */
  | { kind: 'failed'; reason: string };

export interface ToolQueryOptions extends ToolSpawnOptions {
  /** Read at each run, so an environment's stand-in applies (BRAIN_IN_JAR_NVIDIA_SMI). */
  command: () => string;
  /** What the tool is called in messages; the command's file name unless given. */
  name?: string;
  args: readonly string[];
  /** Past this the process and its group are killed; the query never waits longer (but for the kill's wait). */
  deadlineMs: number;
}

/** A tool that prints without end is cut off here: nothing we ask for is this long. */
const MAX_STDOUT_CHARS = 1 << 20;

/**
 * One query of an external tool at a time, each with a deadline: calls made while one runs share its answer, so a
 * flood of requests costs one process; a query of a tool whose last process is stuck answers at once, without a new
 * process.
 */
export class ToolQuery {
  private running: Promise<ToolOutcome> | null = null;

  constructor(private readonly options: ToolQueryOptions) {}

  run(): Promise<ToolOutcome> {
    this.running ??= this.once().finally(() => (this.running = null));
    return this.running;
  }

  private once(): Promise<ToolOutcome> {
    const { deadlineMs, args } = this.options;
    const command = this.options.command();
    const name = this.options.name ?? toolName(command);
    const started = ToolProcess.spawn(command, args, this.options);
    if (!(started instanceof ToolProcess)) {
      return Promise.resolve({
        kind: 'failed',
        reason: `${name} (pid ${started.pid}) is stuck and cannot be killed; not run again until it exits`,
      });
    }
    const { child } = started;
    const output = { stdout: '', stderr: '' };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (chunk: string) => {
        if (output[stream].length < MAX_STDOUT_CHARS) output[stream] += chunk;
      });
    }
    return new Promise((resolve) => {
      let settled = false;
      let timedOut = false;
      const settle = (outcome: ToolOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        const seconds = `${deadlineMs / 1000} s`;
        void started.end().then((ended) =>
          settle({
            kind: 'failed',
            reason:
              ended === 'gone'
                ? `${name} did not answer in ${seconds}; killed`
                : `${name} did not answer in ${seconds} and cannot be killed (pid ${started.pid}, stuck in the ` +
                  'kernel?); not run again until it exits',
          }),
        );
      }, deadlineMs);
      child.once('error', (error: NodeJS.ErrnoException) =>
        settle(
          error.code === 'ENOENT'
            ? { kind: 'missing', reason: `${name} is not installed` }
            : { kind: 'failed', reason: `${name} could not start: ${error.message}` },
        ),
      );
      // After the deadline its end is the kill's, already answered for.
      child.once('close', (code, signal) => {
        if (!timedOut) settle({ kind: 'exited', code, signal, ...output });
      });
    });
  }
}
