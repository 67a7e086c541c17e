import type { EnforcementKind, LineHold } from '../../../shared/watchdog.js';

/** The watchdog's shortest sample interval, near a line: one sample costs about 0.15 ms, 1.5% of a core. */
export const MIN_INTERVAL_MS = 10;

export interface LineHoldFacts {
  enforcement: EnforcementKind;
  /** The v1 line watcher's thread runs (null), or why it does not. */
  kernelLinesFailed: string | null;
  baseIntervalMs: number;
  minIntervalMs: number;
  /** A Jetson: its GPU memory (nvmap) comes out of the same RAM, and is not (or not wholly) charged to cgroups. */
  nvmap: boolean;
}

/**
 * Which mechanism holds each line. On cgroup v1 the kernel's usage thresholds, read by the line watcher's thread,
 * hold the instances' limits and the RAM threshold; cgroup v2's memory.high throttles at each instance's limit.
 * The GPU line is always polled: a discrete GPU's memory is no cgroup's. On a Jetson the RAM is the GPU's too, and
 * nvmap's allocations are not charged to memory cgroups before its 2024 sources (and even then not those served
 * from its page pool): there polling holds every line, the kernel's thresholds only add an earlier look (README,
 * "How the lines are held").
 */
export function lineHolds(facts: LineHoldFacts): LineHold[] {
  const polling: Omit<LineHold, 'line'> = {
    mechanism: 'polling',
    label: `polling every ${facts.baseIntervalMs} ms (${facts.minIntervalMs} ms near the line)`,
  };
  const watched = facts.enforcement === 'cgroup-v1' && facts.kernelLinesFailed === null;
  if (watched && facts.nvmap) {
    // The thresholds still fire on what the cgroups see; what nvmap allocates only polling sees.
    polling.label += ', with kernel thresholds (cgroup v1 eventfd) for what the cgroups see (not nvmap)';
  }
  const v1 = watched && !facts.nvmap;
  const kernel: Omit<LineHold, 'line'> = {
    mechanism: 'cgroup-v1-eventfd',
    label: 'kernel threshold (cgroup v1 eventfd)',
  };
  const high: Omit<LineHold, 'line'> = { mechanism: 'cgroup-v2-memory-high', label: 'memory.high (cgroup v2)' };
  const limits = v1 ? kernel : facts.enforcement === 'cgroup-v2' ? high : polling;
  return [
    { line: 'instance-limits', ...limits },
    { line: 'ram-threshold', ...(v1 ? kernel : polling) },
    { line: 'gpu-threshold', ...polling },
  ];
}
