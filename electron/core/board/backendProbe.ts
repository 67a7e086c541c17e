import type { BackendInfo } from '../../../shared/board.js';
import { loaderArgs, workerScript } from '../instance/workerProcess.js';
import { ToolQuery } from '../toolQuery.js';

/** Loading node-llama-cpp's binaries with CUDA takes seconds on a Jetson; a probe this late is stuck. */
export const PROBE_DEADLINE_MS = 30_000;

/**
 * electron/worker/probe in a child process of its own group, one at a time in this process: a flood of board
 * refreshes shares one probe. The IPC channel is there for the child's 'disconnect': it exits when the host is gone.
 */
const probe = new ToolQuery({
  name: 'the backend probe',
  command: () => process.execPath,
  args: [...loaderArgs(), workerScript('probe')],
  // Under Electron, process.execPath is the Electron binary: this makes the child a plain Node process.
  env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  ipc: true,
  deadlineMs: PROBE_DEADLINE_MS,
});

const failed = (note: string): BackendInfo => ({ backend: 'cpu', vramTotalBytes: 0, vramUsedBytes: 0, note });

/** Asks node-llama-cpp which backend it has, in a child process; never throws, never waits past the deadline. */
export async function probeBackend(): Promise<BackendInfo> {
  const outcome = await probe.run();
  if (outcome.kind !== 'exited') return failed(`${outcome.reason}; assuming CPU`);
  try {
    const parsed = JSON.parse(outcome.stdout.trim().split('\n').at(-1) ?? '') as BackendInfo | { error: string };
    return 'error' in parsed ? failed(`node-llama-cpp could not start: ${parsed.error}; assuming CPU`) : parsed;
  } catch {
    const ended = outcome.signal ?? `exit ${outcome.code}`;
    return failed(`the backend probe ended (${ended}) without an answer; assuming CPU`);
  }
}
