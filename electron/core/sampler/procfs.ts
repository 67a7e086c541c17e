import fs from 'node:fs';

/**
 * Parsers for /proc files. They take the text and return data, so they are tested against recorded files; the reads
 * around them are one readFileSync each (about 0.1 ms), cheap enough for a 100 ms sampling loop.
 */

export interface Meminfo {
  totalBytes: number;
  availableBytes: number;
  freeBytes: number;
  /** All fields, in bytes where the file gives kB. */
  fields: Map<string, number>;
}

export function parseMeminfo(text: string): Meminfo {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([\w()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    fields.set(match[1]!, match[3] ? value * 1024 : value);
  }
  const totalBytes = fields.get('MemTotal');
  if (totalBytes === undefined || totalBytes <= 0) throw new Error('meminfo has no MemTotal');
  const freeBytes = fields.get('MemFree') ?? 0;
  // Kernels before 3.14 have no MemAvailable; free + page cache is the usual stand-in there.
  const availableBytes =
    fields.get('MemAvailable') ?? freeBytes + (fields.get('Cached') ?? 0) + (fields.get('Buffers') ?? 0);
  return { totalBytes, availableBytes, freeBytes, fields };
}

/** RAM use as the original defined it: (MemTotal - MemAvailable) / MemTotal, in percent. */
export function ramPercent(meminfo: Meminfo): number {
  return ((meminfo.totalBytes - meminfo.availableBytes) / meminfo.totalBytes) * 100;
}

export interface ProcessMemory {
  /** RssAnon + RssFile: with mmap the weights are file pages, without it anonymous ones. */
  rssBytes: number;
  rssAnonBytes: number;
  rssFileBytes: number;
  rssShmemBytes: number;
}

export function parseProcStatus(text: string): ProcessMemory {
  const kb = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  };
  const rssAnonBytes = kb('RssAnon');
  const rssFileBytes = kb('RssFile');
  return {
    rssAnonBytes,
    rssFileBytes,
    rssShmemBytes: kb('RssShmem'),
    rssBytes: rssAnonBytes + rssFileBytes,
  };
}

export function readMeminfo(file = '/proc/meminfo'): Meminfo {
  return parseMeminfo(fs.readFileSync(file, 'utf8'));
}

/** The memory of a process, or null when it has exited (its /proc entry is gone). */
export function readProcessMemory(pid: number): ProcessMemory | null {
  try {
    return parseProcStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

export interface Psi {
  someAvg10: number;
  fullAvg10: number;
  someTotalUs: number;
}

/** /proc/pressure/memory: "some avg10=.. avg60=.. avg300=.. total=..", and a "full" line on newer kernels. */
export function parsePsi(text: string): Psi | null {
  const line = (kind: string) =>
    new RegExp(`^${kind} avg10=([\\d.]+) avg60=[\\d.]+ avg300=[\\d.]+ total=(\\d+)`, 'm').exec(text);
  const some = line('some');
  if (!some) return null;
  const full = line('full');
  return { someAvg10: Number(some[1]), fullAvg10: full ? Number(full[1]) : 0, someTotalUs: Number(some[2]) };
}

export function readPsi(file = '/proc/pressure/memory'): Psi | null {
  try {
    return parsePsi(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
