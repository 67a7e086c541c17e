import type { Role } from './instances.js';

/** How per-instance RAM limits are enforced beyond the watchdog. */
export type EnforcementKind = 'cgroup-v2' | 'cgroup-v1' | 'systemd-scope' | 'watchdog-only';

export interface EnforcementInfo {
  kind: EnforcementKind;
  /** In words: "kernel cgroup v1", "systemd scope", "watchdog only". */
  label: string;
  /** Why this one (and not a stronger one). */
  reason: string;
}

export const ENFORCEMENT_LABELS: Record<EnforcementKind, string> = {
  'cgroup-v2': 'kernel cgroup v2',
  'cgroup-v1': 'kernel cgroup v1',
  'systemd-scope': 'systemd scope',
  'watchdog-only': 'watchdog only',
};

/**
 * The watchdog stops an instance when it reaches this share of its RAM limit: the kernel's hard line is the limit
 * itself (memory.max), and its soft line (memory.high, where it starts to throttle) is here too, so the watchdog gets
 * the time to stop it gracefully before the kernel kills it. The panel draws an instance's kill line here.
 */
export const LIMIT_ACTION_FRACTION = 0.95;

/** Why the watchdog stops an instance. */
export type KillReason = 'ram-limit' | 'ram-threshold' | 'gpu-threshold';

/** A line crossed in one sample: what the watchdog re-reads, and acts on if it holds. */
export interface Crossing {
  reason: KillReason;
  /** The instance over its own limit, for ram-limit. */
  instance: Role | null;
  /** Percent for thresholds, bytes for a limit. */
  value: number;
  threshold: number;
}

/** The thermal guard: generation paused above the threshold until the board is 5 C cooler. */
export interface ThermalState {
  paused: boolean;
  /** The hottest zone, when there are any. */
  hottest: { zone: string; temperatureC: number } | null;
  thresholdC: number;
}

/** What holds a line: the kernel's notification, the kernel's throttle, or the watchdog's own polling. */
export type LineMechanism = 'cgroup-v1-eventfd' | 'cgroup-v2-memory-high' | 'polling';

/** One line and what holds it, for the header and `doctor`. */
export interface LineHold {
  line: 'instance-limits' | 'ram-threshold' | 'gpu-threshold';
  mechanism: LineMechanism;
  /** In words: "kernel threshold (cgroup v1 eventfd)", "memory.high (cgroup v2)", "polling every 1000 ms ...". */
  label: string;
}

/** What the watchdog is doing, for the panel. */
export interface WatchdogStatus {
  enforcement: EnforcementInfo;
  /** Which mechanism holds each line now. */
  lines: LineHold[];
  thermal: ThermalState;
  /** Instances held back from starting, and why ("memory at 75%, above the warn level 70%"). */
  holding: Partial<Record<Role, string>>;
  /** GPU layers an instance may use at most after a GPU-threshold kill. */
  layerCaps: Partial<Record<Role, number>>;
}
