import fs from 'node:fs';
import path from 'node:path';

import { parseProcCgroup } from '../electron/core/enforcement/cgroupFiles.js';
import { hostCgroupName } from '../electron/core/enforcement/staleCgroups.js';
import type { HostProcess } from '../tests/helpers/hostProcess.js';

/**
 * What a benchmark started (hosts, earlyooms, temporary folders) and must undo, even when it is interrupted: Ctrl-C
 * reaches the whole process group, but a SIGTERM sent to the bench alone would otherwise leave its hosts, their
 * workers and their cgroups behind.
 */

const pending = new Map<symbol, () => Promise<void>>();
let interruption: Promise<void> | null = null;
let installed = false;

/**
 * Registers `undo` until the returned function is called, which runs it (once) and unregisters it; on SIGINT or
 * SIGTERM every registered undo runs before the bench exits.
 */
export function untilDone(undo: () => Promise<void> | void): () => Promise<void> {
  const key = Symbol();
  let done: Promise<void> | null = null;
  const once = () => {
    pending.delete(key);
    done ??= Promise.resolve().then(undo);
    return done;
  };
  pending.set(key, once);
  return once;
}

/** True once the bench was asked to stop; what it was waiting for then fails, and is not a finding. */
export function interrupted(): boolean {
  return interruption !== null;
}

/** Resolves never: the interruption's clean-up ends the process. For a caller that failed because of it. */
export function exitAfterCleanUp(): Promise<never> {
  return new Promise(() => undefined);
}

/** Installs the SIGINT and SIGTERM handlers (once): undo everything registered, then exit 130. */
export function cleanUpOnSignals(log: (line: string) => void): void {
  if (installed) return;
  installed = true;
  const handle = (signal: NodeJS.Signals) => {
    if (interruption) return;
    log(`\nbench: ${signal}: stopping ${pending.size} thing(s) it started...`);
    interruption = Promise.allSettled([...pending.values()].map((undo) => undo())).then((results) => {
      for (const result of results) if (result.status === 'rejected') log(`bench: clean-up failed: ${result.reason}`);
      log('bench: cleaned up');
      process.exit(130);
    });
  };
  process.once('SIGINT', handle);
  process.once('SIGTERM', handle);
}

/**
 * The cgroup folders a host with this pid made (its folder beside this process's own memory cgroup, v1 and v2) that
 * are still there after it exited. A host that exits cleanly removes them; one killed with SIGKILL cannot.
 */
export function leftoverCgroups(hostPid: number, root = '/sys/fs/cgroup'): string[] {
  const own = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8'));
  const parents = [
    own.v1Memory !== null ? path.join(root, 'memory', own.v1Memory) : null,
    own.v2 !== null ? path.join(root, own.v2) : null,
  ];
  return parents
    .filter((parent): parent is string => parent !== null)
    .map((parent) => path.join(parent, hostCgroupName(hostPid)))
    .filter((folder) => fs.existsSync(folder));
}

/** Removes a cgroup folder and the groups inside it, deepest first (a group goes with rmdir; its files go with it). */
export function removeCgroupTree(folder: string): void {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(path.join(folder, entry.name));
  }
  fs.rmdirSync(folder);
}

/** Stops a host the bench started, then removes whatever cgroup folder it left, saying so. */
export async function stopHost(host: HostProcess, log: (line: string) => void): Promise<void> {
  await host.stop();
  for (const folder of leftoverCgroups(host.pid)) {
    removeCgroupTree(folder);
    log(`  removed the cgroup ${folder} the host left behind`);
  }
}
