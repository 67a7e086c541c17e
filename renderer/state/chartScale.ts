import type { Role } from '../../shared/instances.js';
import type { ChartPoint } from './chartData.js';

const GB = 2 ** 30;

/**
 * Axis scales the operator can read at a glance: ticks on round numbers (0, 0.05, 0.1; 0, 5, 10, 15, 20, 25) and on
 * round times (every 10 s, every 2 min, every 10 min), and a range fitted to what is drawn, so a 120 MB instance is
 * not a flat line at the bottom of a 24 GB scale. Pure, so it is tested in Node.
 */

export interface Scale {
  domain: [number, number];
  ticks: number[];
}

const MULTIPLES = [1, 2, 2.5, 5];

/** The smallest of 1, 2, 2.5 or 5 times a power of ten (the steps people count in) that spans the range in `most`. */
function roundStep(from: number, to: number, most: number): number {
  let power = 10 ** Math.floor(Math.log10((to - from) / most));
  for (;;) {
    for (const multiple of MULTIPLES) {
      const step = multiple * power;
      if (Math.ceil(to / step - 1e-9) - Math.floor(from / step + 1e-9) <= most) return step;
    }
    power *= 10;
  }
}

/** Floating-point steps add up to 0.30000000000000004; ticks are printed, so they are rounded to the step's digits. */
function clean(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(value.toFixed(digits));
}

/**
 * A scale from `low` to at least `high` in at most `count` steps, each tick a round number. An empty or flat range still
 * gets a scale (0 to 1 when there is nothing to show yet).
 */
export function roundScale(low: number, high: number, count = 5): Scale {
  let from = Number.isFinite(low) ? Math.min(low, high) : 0;
  let to = Number.isFinite(high) ? Math.max(low, high) : 1;
  if (to - from <= 0) {
    if (to === 0) to = 1;
    else {
      from = Math.min(0, from);
      to = Math.abs(to) * 1.1;
    }
  }
  const step = roundStep(from, to, Math.max(1, count));
  const start = Math.floor(from / step + 1e-9) * step;
  const end = Math.ceil(to / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let index = 0; start + index * step <= end + step / 1000; index++) ticks.push(clean(start + index * step, step));
  return { domain: [ticks[0]!, ticks.at(-1)!], ticks };
}

/** A scale from zero to the largest value given (nulls and undefined skipped), with headroom for a value on the top. */
export function scaleFromZero(values: Iterable<number | null | undefined>, count = 5): Scale {
  let high = 0;
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value) && value > high) high = value;
  return roundScale(0, high, count);
}

const TIME_STEPS_MS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600].map((s) => s * 1000);

/** Tick times on the clock's round marks (10:20:00, 10:20:10, ...) inside [start, end], about `count` of them. */
export function timeTicks(start: number, end: number, count = 6): number[] {
  if (!(end > start)) return Number.isFinite(start) ? [start] : [];
  const rough = (end - start) / Math.max(1, count);
  const step = TIME_STEPS_MS.find((candidate) => candidate >= rough) ?? TIME_STEPS_MS.at(-1)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return ticks;
}

export interface LimitLine {
  bytes: number;
  roles: [Role, ...Role[]];
  /** Where its label sits along the line: close limits have labels apart, not printed over each other. */
  place: 'insideTopLeft' | 'insideTop' | 'insideTopRight';
}

const LABEL_PLACES: Record<number, readonly LimitLine['place'][]> = {
  1: ['insideTopRight'],
  2: ['insideTopLeft', 'insideTopRight'],
  3: ['insideTopLeft', 'insideTop', 'insideTopRight'],
};

/** One line per distinct limit, naming every role that has it, so equal limits do not print over each other. */
export function limitLines(limits: readonly { instance: Role; ramLimitBytes: number }[]): LimitLine[] {
  const lines: Omit<LimitLine, 'place'>[] = [];
  for (const { instance, ramLimitBytes } of limits) {
    const same = lines.find((line) => line.bytes === ramLimitBytes);
    if (same) same.roles.push(instance);
    else lines.push({ bytes: ramLimitBytes, roles: [instance] });
  }
  const places = LABEL_PLACES[lines.length] ?? LABEL_PLACES[3]!;
  return lines.map((line, index) => ({ ...line, place: places[index % places.length]! }));
}

/**
 * A limit far above what the instances use would squash them to the bottom of their chart: beyond this many times
 * their peak, a limit is named under the chart instead of drawn.
 */
const LIMIT_REACH = 3;

export interface ChartScales {
  /** The whole board, 0 to its total: the warn and kill lines are on it. */
  board: Scale;
  /** The instances stacked on the rest: from the rest's lowest to the top of the stack. */
  boardZoomed: Scale;
  instances: Scale;
  limitsDrawn: LimitLine[];
  limitsAbove: LimitLine[];
  tokens: Scale;
  temperatures: Scale;
}

export function chartScales(
  points: readonly ChartPoint[],
  roles: readonly Role[],
  limits: readonly { instance: Role; ramLimitBytes: number }[],
  totalGb: number,
  thermalC: number | null,
): ChartScales {
  let peak = 0;
  let restLow = Infinity;
  let top = 0;
  const tokens: (number | null | undefined)[] = [];
  let coolest = Infinity;
  let hottest = -Infinity;
  for (const point of points) {
    let stack = point.restGb;
    for (const role of roles) {
      const memory = point.memoryGb[role] ?? 0;
      peak = Math.max(peak, memory);
      stack += memory;
      tokens.push(point.tokensPerSecond[role]);
    }
    restLow = Math.min(restLow, point.restGb);
    top = Math.max(top, stack);
    for (const value of Object.values(point.temperatures)) {
      coolest = Math.min(coolest, value);
      hottest = Math.max(hottest, value);
    }
  }
  const lines = limitLines(limits);
  const reach = peak > 0 ? peak * LIMIT_REACH : Infinity;
  const limitsDrawn = lines.filter((line) => line.bytes / GB <= reach);
  if (thermalC !== null) hottest = Math.max(hottest, thermalC);
  return {
    board: roundScale(0, Math.max(totalGb, top)),
    boardZoomed: roundScale(Number.isFinite(restLow) ? restLow : 0, top),
    instances: scaleFromZero([peak, ...limitsDrawn.map((line) => line.bytes / GB)]),
    limitsDrawn,
    limitsAbove: lines.filter((line) => !limitsDrawn.includes(line)),
    tokens: scaleFromZero(tokens),
    temperatures: Number.isFinite(coolest) ? roundScale(coolest, hottest) : roundScale(0, thermalC ?? 100),
  };
}

export const PERCENT: Scale = { domain: [0, 100], ticks: [0, 25, 50, 75, 100] };
