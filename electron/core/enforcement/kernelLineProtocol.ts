import { ROLES, type Role } from '../../../shared/instances.js';
import type { LineMechanism } from '../../../shared/watchdog.js';
import { crossingVerdict, nextTrend, type CrossingTrend } from '../watchdog/policy.js';

/**
 * What the host's main thread and the kernel line watcher's thread say to each other, and the watcher's one
 * decision (confirmCrossing), kept pure so that it is tested on sequences of reads.
 */

export type ToWatcher =
  /** A worker's group: its usage file, whose threshold is its own line; its cgroup.procs, to signal only its own. */
  | { kind: 'watch'; id: string; role: Role; pid: number; dir: string; line: InstanceLine }
  | { kind: 'unwatch'; id: string }
  /**
   * The lines in the kernel's terms (bytes of memory.usage_in_bytes), as the last sample placed them; null: not
   * watched now (a spared instance, no line). The board's is the instances' parent group's share of the line.
   */
  | {
      kind: 'lines';
      instances: Record<string, InstanceLine | null>;
      /** lineBytes: the board's line itself (MemTotal - MemAvailable), what a crossing of the share is confirmed on. */
      board: { dir: string; thresholdBytes: number; lineBytes: number } | null;
      victimPolicy: 'largest' | 'role-order';
      spare: Role[];
      graceMs: number;
    }
  | { kind: 'stop' };

/**
 * A worker's line twice: in the kernel's terms (memory.usage_in_bytes, what fires the notification) and in the
 * watchdog's (RssAnon + RssFile, what the crossing is confirmed on, so that a spike the polling watchdog forgives the
 * thread forgives too: a group's usage keeps charges a freed spike no longer maps).
 */
export interface InstanceLine {
  thresholdBytes: number;
  rssLineBytes: number;
}

export type FromWatcher =
  /** Running; the main thread wakes it (to read its messages) by writing to this eventfd. */
  | { kind: 'ready'; wakeFd: number }
  | { kind: 'failed'; message: string }
  /**
   * The watcher sent SIGTERM to a worker itself (SIGKILL follows after the grace): what it read, and when (epoch ms)
   * the kernel said the line was crossed.
   */
  | {
      kind: 'signaled';
      role: Role;
      pid: number;
      reason: 'ram-limit' | 'ram-threshold';
      usageBytes: number;
      thresholdBytes: number;
      crossedAt: number;
      at: number;
      /** What held the line: the v1 watcher's thread here; v2's memory.high throttle for HighWatch's reports. */
      by: LineMechanism;
    };

/** Between re-reads while a crossing is confirmed. */
export const REREAD_MS = 2;

export type Verdict = { act: boolean; usageBytes: number };

/**
 * After the kernel's notification (it fires on a crossing either way): reads usage at once and again every
 * REREAD_MS until the spike guard (crossingVerdict) says act, or under the line.
 */
export function confirmCrossing(
  threshold: number,
  read: () => number,
  clock: { now(): number; sleep(ms: number): void },
): Verdict {
  const started = clock.now();
  let trend: CrossingTrend | null = null;
  for (;;) {
    const usageBytes = read();
    trend = nextTrend(trend, usageBytes - threshold);
    const verdict = crossingVerdict(trend, clock.now() - started);
    if (verdict !== 'wait') return { act: verdict === 'act', usageBytes };
    clock.sleep(REREAD_MS);
  }
}

/** Who goes for the board's line: by the operator's policy, never a spared instance. */
export function boardVictim<T extends { role: Role; usageBytes: number }>(
  candidates: T[],
  policy: 'largest' | 'role-order',
  spare: readonly Role[],
): T | null {
  const open = candidates.filter((candidate) => !spare.includes(candidate.role));
  const order = (a: T, b: T) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role);
  open.sort(policy === 'largest' ? (a, b) => b.usageBytes - a.usageBytes || order(a, b) : order);
  return open[0] ?? null;
}
