import fs from 'node:fs';
import path from 'node:path';

import { processAlive } from '../processAlive.js';
import { writeAll } from './writeAll.js';

/** The temporary name a write of `file` by process `pid` uses, beside the file. */
function temporaryName(file: string, pid: number): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${pid}.tmp`);
}

const TEMPORARY = /^\..+\.(\d+)\.tmp$/;

/**
 * Replaces a file so that a crash at any moment leaves either the old content or the new, never a mix:
 * write a temporary file, fsync it, rename it over the target, fsync the folder so the rename itself is durable.
 * A write that fails (a full disk, the target a folder) removes its temporary file and throws; the old content stays.
 */
export function writeFileAtomic(file: string, content: string): void {
  const directory = path.dirname(file);
  fs.mkdirSync(directory, { recursive: true });
  const temporary = temporaryName(file, process.pid);
  try {
    const fd = fs.openSync(temporary, 'w', 0o600);
    try {
      writeAll(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    try {
      fs.unlinkSync(temporary);
    } catch {
      // Never made, or not a file of ours (a folder in its way): the first error is the one to tell.
    }
    throw error;
  }
  fsyncDirectory(directory);
}

export function fsyncDirectory(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes the temporary files that writes of processes no longer alive left in `directory` (a host killed between
 * the write and the rename). Returns the files removed.
 */
export function removeStaleTemporaries(directory: string, isAlive: (pid: number) => boolean = processAlive): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(TEMPORARY.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(directory, name));
      removed.push(path.join(directory, name));
    } catch {
      // A folder of that name, or gone already: not ours to worry about.
    }
  }
  return removed;
}
