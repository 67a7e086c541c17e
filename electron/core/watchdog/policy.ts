import { ROLES } from '../../../shared/instances.js';
import { LIMIT_ACTION_FRACTION, type Crossing } from '../../../shared/watchdog.js';
import type { FillRates, WorkerMemory } from '../../../shared/metrics.js';

/**
 * The watchdog's decisions, as functions of data: which line is crossed, who goes, how soon to look again. The
 * runner around them does the I/O (sampling, signals, timers); these are what the policy tests feed with recorded
 * sample sequences.
 */

export { LIMIT_ACTION_FRACTION };

export interface WatchdogConfig {
  /** Percent of RAM (MemTotal - MemAvailable) at which an instance is stopped. */
  ramThreshold: number;
  /** Percent of a discrete GPU's memory at which an instance is stopped. On unified memory the RAM's line applies. */
  gpuThreshold: number;
  /** Above this percent nothing starts, and the original's timing samples every second. */
  warnThreshold: number;
  baseIntervalMs: number;
  minIntervalMs: number;
  victimPolicy: 'largest' | 'role-order';
  timing: 'adaptive' | 'original';
  /** A rise of more than this many points between two samples is a spike (the original's 10). */
  spikePoints: number;
  /**
   * Lines the kernel watches (cgroup v1 thresholds read by the line watcher's thread): polling is the backstop for
   * them, at the base interval far from them, and at the minimum within NEAR_LINE_S of one (a notification the
   * kernel did not send, 1 in 11 fills in the bench, then costs one short interval instead of seconds).
   */
  kernelHeld?: { limits: boolean; ramThreshold: boolean };
}

/** What the decisions need of each instance: a part of the sampler's WorkerMemory. */
export type InstanceSample = Pick<WorkerMemory, 'role' | 'rssBytes' | 'limitBytes' | 'vramBytes' | 'spare'>;

/** The board and its instances as the decisions see them; the runner's samples carry each worker's whole memory. */
export interface WatchdogSample<I extends InstanceSample = InstanceSample> {
  t: number;
  ramUsedBytes: number;
  ramTotalBytes: number;
  ramPercent: number;
  /** Discrete GPU memory, when known. Null on unified memory (its pool is the RAM) and without a GPU. */
  gpuUsedBytes: number | null;
  gpuTotalBytes: number | null;
  instances: I[];
}

export function gpuPercent(sample: WatchdogSample): number | null {
  return sample.gpuUsedBytes !== null && sample.gpuTotalBytes
    ? (sample.gpuUsedBytes / sample.gpuTotalBytes) * 100
    : null;
}

/** How far an instance is past the line where the watchdog stops it (positive: past it). */
function overLimit(instance: InstanceSample): number {
  return instance.rssBytes - instance.limitBytes * LIMIT_ACTION_FRACTION;
}

/**
 * The line crossed in this sample, if any: an instance at its own limit first (the one furthest past it), then the
 * RAM threshold, then the GPU's. Spared instances are the kernel's business, not the watchdog's.
 */
export function findCrossing(sample: WatchdogSample, config: WatchdogConfig): Crossing | null {
  const over = sample.instances
    .filter((instance) => !instance.spare && overLimit(instance) > 0)
    .sort((a, b) => overLimit(b) - overLimit(a))[0];
  if (over) return { reason: 'ram-limit', instance: over.role, value: over.rssBytes, threshold: over.limitBytes };
  if (sample.ramPercent >= config.ramThreshold) {
    return { reason: 'ram-threshold', instance: null, value: sample.ramPercent, threshold: config.ramThreshold };
  }
  const gpu = gpuPercent(sample);
  if (gpu !== null && gpu >= config.gpuThreshold) {
    return { reason: 'gpu-threshold', instance: null, value: gpu, threshold: config.gpuThreshold };
  }
  return null;
}

/**
 * Who goes: the instance named by the crossing; else one over its own limit; else by the operator's policy (the
 * largest user of the memory that is short, or role order: SUBJECT, OBSERVER, GOD). Never a spared instance.
 */
export function chooseVictim<I extends InstanceSample>(
  sample: WatchdogSample<I>,
  crossing: Crossing,
  config: WatchdogConfig,
): I | null {
  const candidates = sample.instances.filter((instance) => !instance.spare);
  if (crossing.instance) {
    const named = candidates.find((instance) => instance.role === crossing.instance);
    if (named) return named;
  }
  const over = candidates.filter((instance) => overLimit(instance) > 0).sort((a, b) => overLimit(b) - overLimit(a));
  if (over[0]) return over[0];
  if (candidates.length === 0) return null;
  if (config.victimPolicy === 'role-order') {
    return [...candidates].sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role))[0]!;
  }
  const size = (instance: I) => (crossing.reason === 'gpu-threshold' ? (instance.vramBytes ?? 0) : instance.rssBytes);
  return [...candidates].sort((a, b) => size(b) - size(a) || ROLES.indexOf(a.role) - ROLES.indexOf(b.role))[0]!;
}

/** Bytes left before each line is crossed: the RAM threshold, the GPU threshold, each instance's limit. */
export function headrooms(
  sample: WatchdogSample,
  config: WatchdogConfig,
  held = config.kernelHeld ?? { limits: false, ramThreshold: false },
): number[] {
  const room = held.ramThreshold ? [] : [sample.ramTotalBytes * (config.ramThreshold / 100) - sample.ramUsedBytes];
  if (sample.gpuUsedBytes !== null && sample.gpuTotalBytes) {
    room.push(sample.gpuTotalBytes * (config.gpuThreshold / 100) - sample.gpuUsedBytes);
  }
  for (const instance of sample.instances) {
    if (!instance.spare && !held.limits) room.push(instance.limitBytes * LIMIT_ACTION_FRACTION - instance.rssBytes);
  }
  return room;
}

/** Growth between two samples, bytes per second, of the board's RAM, its GPU and each instance; null at no time apart. */
export function fillRates(
  previous: WatchdogSample,
  current: WatchdogSample,
): (FillRates & { gpuBytesPerS: number | null }) | null {
  const seconds = (current.t - previous.t) / 1000;
  if (seconds <= 0) return null;
  const instances: FillRates['instances'] = {};
  for (const instance of current.instances) {
    const before = previous.instances.find((candidate) => candidate.role === instance.role);
    if (before) instances[instance.role] = (instance.rssBytes - before.rssBytes) / seconds;
  }
  const gpu =
    current.gpuUsedBytes !== null && previous.gpuUsedBytes !== null
      ? (current.gpuUsedBytes - previous.gpuUsedBytes) / seconds
      : null;
  return { ramBytesPerS: (current.ramUsedBytes - previous.ramUsedBytes) / seconds, gpuBytesPerS: gpu, instances };
}

/** The fastest growth between two samples, in bytes per second: of the board's RAM, its GPU, or any instance. */
export function fillRate(previous: WatchdogSample, current: WatchdogSample): number {
  const rates = fillRates(previous, current);
  if (!rates) return 0;
  return Math.max(0, rates.ramBytesPerS, rates.gpuBytesPerS ?? 0, ...Object.values(rates.instances));
}

/**
 * The fill rate assumed before any is seen: a model loading from disk or page cache fills RAM at about this rate, so
 * the watchdog never sleeps through a fill it has not yet measured. Far from every limit it changes nothing (the
 * headroom lasts longer than the base interval); near one it keeps the samples close.
 */
export const ASSUMED_FILL_RATE = 2 ** 30;

/** Within this many seconds of a line at the fastest fill rate seen, the watchdog samples at its minimum interval. */
export const NEAR_LINE_S = 1;

/**
 * How long until the next sample. Adaptive: the time the smallest headroom would last at the fastest fill rate seen
 * (never assumed slower than ASSUMED_FILL_RATE; halved, for safety), clamped between the minimum and the base
 * interval, and at most a second above the warn level; the minimum itself within NEAR_LINE_S of a line, where one
 * /proc/meminfo read (about 10 us) is cheap against an overshoot. Original: the base interval, one second above the warn
 * level, as the original's watchdog polled.
 */
export function nextIntervalMs(sample: WatchdogSample, fastestRate: number, config: WatchdogConfig): number {
  const usage = Math.max(sample.ramPercent, gpuPercent(sample) ?? 0);
  const aboveWarn = usage > config.warnThreshold;
  if (config.timing === 'original') return aboveWarn ? Math.min(1000, config.baseIntervalMs) : config.baseIntervalMs;
  let interval = config.baseIntervalMs;
  if (aboveWarn) interval = Math.min(interval, 1000);
  const rate = Math.max(fastestRate, ASSUMED_FILL_RATE);
  const everyLine = Math.max(0, Math.min(...headrooms(sample, config, { limits: false, ramThreshold: false })));
  if (everyLine / rate <= NEAR_LINE_S) return config.minIntervalMs;
  const room = Math.max(0, Math.min(...headrooms(sample, config)));
  interval = Math.min(interval, (room / rate) * 1000 * 0.5);
  return Math.round(Math.max(config.minIntervalMs, interval));
}

/** A rise of more than `spikePoints` between two samples, on the RAM or the GPU. */
export function findSpike(
  previous: WatchdogSample,
  current: WatchdogSample,
  config: WatchdogConfig,
): { metric: 'ram' | 'gpu'; fromPercent: number; toPercent: number } | null {
  if (current.ramPercent - previous.ramPercent > config.spikePoints) {
    return { metric: 'ram', fromPercent: previous.ramPercent, toPercent: current.ramPercent };
  }
  const before = gpuPercent(previous);
  const after = gpuPercent(current);
  if (before !== null && after !== null && after - before > config.spikePoints) {
    return { metric: 'gpu', fromPercent: before, toPercent: after };
  }
  return null;
}

/** Why an instance may not start now (memory above the warn level), or null. */
export function holdReason(sample: WatchdogSample, config: WatchdogConfig): string | null {
  if (sample.ramPercent >= config.warnThreshold) {
    return `memory at ${sample.ramPercent.toFixed(1)}%, above the warn level of ${config.warnThreshold}%`;
  }
  const gpu = gpuPercent(sample);
  if (gpu !== null && gpu >= config.warnThreshold) {
    return `GPU memory at ${gpu.toFixed(1)}%, above the warn level of ${config.warnThreshold}%`;
  }
  return null;
}

/** Fewer GPU layers after a GPU-threshold kill: a quarter fewer, at least one. */
export function reducedLayers(layers: number): number {
  return Math.max(0, layers - Math.max(1, Math.ceil(layers * 0.25)));
}

/** A fill still under way shows this far past the line within a few reads: act at once. */
export const FILL_MARGIN_BYTES = 8 * 2 ** 20;
/**
 * Still over the line this long after it was first seen over: not a spike, act. A fill is acted on sooner (rising,
 * or at the margin); this is for a use that stands just over the line (a spike freed slowly by a busy process).
 */
export const HOLD_MS = 100;
/**
 * Over the line and higher on this many re-reads in a row, each by at least RISE_BYTES: a fill, act. A spike is
 * allocated in a burst and then stands still until it is freed, so it is never higher read after read; a fill at
 * 200 MB/s is 0.4 MB higher every 2 ms read, and is stopped about 1 MB past the line instead of the margin's 8.
 */
export const RISING_READS = 3;
export const RISE_BYTES = 2 ** 18;

/** The spike guard's memory between re-reads: how far past the line the last one was, and how many rose in a row. */
export interface CrossingTrend {
  overBytes: number;
  rises: number;
}

/** The trend after one more re-read. */
export function nextTrend(trend: CrossingTrend | null, overBytes: number): CrossingTrend {
  const rose = trend !== null && overBytes - trend.overBytes >= RISE_BYTES;
  return { overBytes, rises: rose ? trend.rises + 1 : 0 };
}

/**
 * The spike guard's verdict on one re-read after a crossing, for the polling watchdog and the kernel line watcher
 * alike: under the line again, nobody is killed; rising read after read, past it by FILL_MARGIN_BYTES (a fill), or
 * still over after HOLD_MS, act; else read again.
 */
export function crossingVerdict(trend: CrossingTrend, elapsedMs: number): 'act' | 'recovered' | 'wait' {
  if (trend.overBytes < 0) return 'recovered';
  const filling = trend.rises >= RISING_READS || trend.overBytes >= FILL_MARGIN_BYTES;
  return filling || elapsedMs >= HOLD_MS ? 'act' : 'wait';
}

/**
 * How far past the crossed line a re-read is, in bytes (negative: under it again). For the RAM threshold, the board's
 * use or the first read's plus what the workers grew since, whichever is more: MemAvailable is folded from per-CPU
 * counters and can stand still for a short re-read while a worker's RSS already shows the fill.
 */
export function pastLine(
  crossing: Crossing,
  first: WatchdogSample,
  sample: WatchdogSample,
  config: WatchdogConfig,
): number {
  if (crossing.reason === 'ram-limit') {
    const instance = sample.instances.find((one) => one.role === crossing.instance);
    return instance ? overLimit(instance) : -1;
  }
  if (crossing.reason === 'gpu-threshold') {
    if (sample.gpuUsedBytes === null || !sample.gpuTotalBytes) return -1;
    return sample.gpuUsedBytes - sample.gpuTotalBytes * (config.gpuThreshold / 100);
  }
  const line = sample.ramTotalBytes * (config.ramThreshold / 100);
  const grown = sample.instances.reduce((sum, one) => {
    const before = first.instances.find((candidate) => candidate.role === one.role);
    return sum + (before ? Math.max(0, one.rssBytes - before.rssBytes) : 0);
  }, 0);
  if (sample.ramUsedBytes < line) return sample.ramUsedBytes - line;
  return Math.max(sample.ramUsedBytes, first.ramUsedBytes + grown) - line;
}
