import fs from 'node:fs';
import path from 'node:path';

import { processAlive } from '../processAlive.js';

/** Every host makes its cgroup folder under this name and its pid; the workers' groups are folders inside it. */
export function hostCgroupName(pid: number = process.pid): string {
  return `brain-in-jar-${pid}`;
}

const HOST_GROUP = /^brain-in-jar-(\d+)$/;

export interface SweepIo {
  isAlive(pid: number): boolean;
  /** Removes one empty group (rmdir: a cgroup's control files go with it). */
  remove(directory: string): void;
}

const SYSTEM: SweepIo = { isAlive: processAlive, remove: (directory) => fs.rmdirSync(directory) };

/**
 * Removes the cgroup folders hosts killed without a clean exit left under `parent` (a kill -9 runs no dispose):
 * only ours (brain-in-jar-<pid>), only those whose host is gone, only when no process is in the folder or in any of
 * its workers' groups; the workers' groups first, then the host's. A group the kernel still holds (EBUSY) is left
 * for the next start. Returns the folders removed.
 */
export function sweepStaleCgroups(parent: string, io: SweepIo = SYSTEM): string[] {
  const removed: string[] = [];
  for (const entry of readdirOrEmpty(parent)) {
    const pid = Number(HOST_GROUP.exec(entry.name)?.[1] ?? Number.NaN);
    if (!entry.isDirectory() || !Number.isSafeInteger(pid) || pid === process.pid || io.isAlive(pid)) continue;
    const folder = path.join(parent, entry.name);
    const groups = [
      ...readdirOrEmpty(folder)
        .filter((child) => child.isDirectory())
        .map((child) => path.join(folder, child.name)),
      folder,
    ];
    if (groups.some((group) => hasProcesses(group))) continue;
    try {
      for (const group of groups) io.remove(group);
      removed.push(folder);
    } catch {
      // Busy a moment longer, or not ours to remove after all: the next start tries again.
    }
  }
  return removed;
}

function hasProcesses(group: string): boolean {
  try {
    return fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

function readdirOrEmpty(directory: string): fs.Dirent[] {
  try {
    return fs.readdirSync(directory, { withFileTypes: true });
  } catch {
    return [];
  }
}
