import { fork } from 'node:child_process';

import type { BackendInfo } from '../../../shared/board.js';
import { loaderArgs, workerScript } from '../instance/workerProcess.js';

/** Runs electron/worker/probe in a child process; never throws, never hangs longer than `timeoutMs`. */
export function probeBackend(timeoutMs = 30_000): Promise<BackendInfo> {
  return new Promise((resolve) => {
    const child = fork(workerScript('probe'), [], {
      execArgv: loaderArgs(),
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const failed = (note: string): BackendInfo => ({ backend: 'cpu', vramTotalBytes: 0, vramUsedBytes: 0, note });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(failed(`the backend probe did not answer in ${timeoutMs / 1000} s; assuming CPU`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(output.trim().split('\n').at(-1) ?? '') as BackendInfo | { error: string };
        if ('error' in parsed) resolve(failed(`node-llama-cpp could not start: ${parsed.error}; assuming CPU`));
        else resolve(parsed);
      } catch {
        resolve(failed(`the backend probe ended (${signal ?? `exit ${code}`}) without an answer; assuming CPU`));
      }
    });
  });
}
