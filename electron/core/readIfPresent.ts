import fs from 'node:fs';

/**
 * A system file's text, or null where this machine has no such file or will not let us read it: the board facts
 * (/proc/cpuinfo, Jetson sysfs, nvpmodel's state) and the cgroup files are optional on most machines, and a missing
 * one is an answer.
 */
export function readIfPresent(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
