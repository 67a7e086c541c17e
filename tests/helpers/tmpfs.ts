import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A small tmpfs of our own (CI runs as root). If it cannot be mounted the test fails: a full disk is not a thing to
 * skip testing on a machine that cannot make one.
 */
export function mountTmpfs(options: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    fs.rmdirSync(dir);
    throw new Error(`cannot mount a tmpfs (${options}) at ${dir}: this test needs root: ${String(error)}`);
  }
  return dir;
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir]);
  fs.rmdirSync(dir);
}

/** Fills the file system to the last byte: big writes, then smaller ones for what is left of its pages. */
export function fill(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const size of [64 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x78);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
