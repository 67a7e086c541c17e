import type { Role } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';

/**
 * Chart points from the metrics frames: only the chosen window, one point per bucket of time (frames are merged
 * keeping the worst value, so a spike never disappears when zoomed out), and null where an instance had no worker (a
 * gap, not a drop to zero). Buckets are aligned to the clock, so a new frame changes only the last point, and the
 * charts need redrawing only when a new bucket opens. Pure, so it is tested in Node.
 */

export interface ChartWindow {
  label: string;
  ms: number;
  /** One point per bucket: the 1 h window draws 180 points, not 3600 (recharts is slow to draw many). */
  bucketMs: number;
}

export const WINDOWS: readonly [ChartWindow, ChartWindow, ChartWindow] = [
  { label: '1 min', ms: 60_000, bucketMs: 1000 },
  { label: '10 min', ms: 600_000, bucketMs: 5000 },
  { label: '1 h', ms: 3_600_000, bucketMs: 20_000 },
];

export interface ChartPoint {
  t: number;
  ramPercent: number;
  ramUsedGb: number;
  /** Used by everything but our instances. */
  restGb: number;
  gpuPercent: number | null;
  gpuLoad: number | null;
  /** Per role: memory in GB, tokens per second. */
  memoryGb: Partial<Record<Role, number | null>>;
  tokensPerSecond: Partial<Record<Role, number | null>>;
  temperatures: Record<string, number>;
}

const GB = 2 ** 30;

function point(frame: MetricsFrame, roles: readonly Role[]): ChartPoint {
  const memoryGb: ChartPoint['memoryGb'] = {};
  const tokensPerSecond: ChartPoint['tokensPerSecond'] = {};
  let ours = 0;
  for (const role of roles) {
    const instance = frame.instances[role];
    memoryGb[role] = instance ? instance.rssBytes / GB : null;
    tokensPerSecond[role] = instance ? (instance.tokensPerSecond ?? null) : null;
    ours += instance?.rssBytes ?? 0;
  }
  return {
    t: frame.t,
    ramPercent: frame.ramPercent,
    ramUsedGb: frame.ramUsedBytes / GB,
    restGb: Math.max(0, frame.ramUsedBytes - ours) / GB,
    gpuPercent: frame.gpu?.percent ?? null,
    gpuLoad: frame.gpu?.loadPercent ?? null,
    memoryGb,
    tokensPerSecond,
    temperatures: { ...frame.temperaturesC },
  };
}

const worst = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined ? (b ?? null) : b === null || b === undefined ? a : Math.max(a, b);

function merge(into: ChartPoint, from: ChartPoint, roles: readonly Role[]): void {
  into.ramPercent = Math.max(into.ramPercent, from.ramPercent);
  into.ramUsedGb = Math.max(into.ramUsedGb, from.ramUsedGb);
  into.restGb = Math.max(into.restGb, from.restGb);
  into.gpuPercent = worst(into.gpuPercent, from.gpuPercent);
  into.gpuLoad = worst(into.gpuLoad, from.gpuLoad);
  for (const role of roles) {
    into.memoryGb[role] = worst(into.memoryGb[role], from.memoryGb[role]);
    into.tokensPerSecond[role] = worst(into.tokensPerSecond[role], from.tokensPerSecond[role]);
  }
  for (const [zone, value] of Object.entries(from.temperatures)) {
    into.temperatures[zone] = Math.max(into.temperatures[zone] ?? value, value);
  }
}

/** The bucket the newest frame falls in: the charts redraw when it changes. */
export function newestBucket(metrics: readonly MetricsFrame[], window: ChartWindow): number {
  return Math.floor((metrics.at(-1)?.t ?? 0) / window.bucketMs);
}

export function chartPoints(
  metrics: readonly MetricsFrame[],
  roles: readonly Role[],
  window: ChartWindow,
): ChartPoint[] {
  const end = metrics.at(-1)?.t ?? 0;
  let first = metrics.length;
  while (first > 0 && metrics[first - 1]!.t > end - window.ms) first--;
  const frames = metrics.slice(first);
  const points: ChartPoint[] = [];
  let bucket = Number.NaN;
  for (const frame of frames) {
    const index = Math.floor(frame.t / window.bucketMs);
    const next = point(frame, roles);
    if (index === bucket && points.length > 0) merge(points.at(-1)!, next, roles);
    else {
      points.push(next);
      bucket = index;
    }
  }
  return points;
}

/** The thermal zones seen in the points, for the temperature chart's lines. */
export function zonesOf(points: readonly ChartPoint[]): string[] {
  const zones = new Set<string>();
  for (const entry of points) for (const zone of Object.keys(entry.temperatures)) zones.add(zone);
  return [...zones].sort();
}
