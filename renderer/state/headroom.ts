import type { Role } from '../../shared/instances.js';
import type { MetricsFrame } from '../../shared/metrics.js';
import { LIMIT_ACTION_FRACTION } from '../../shared/watchdog.js';

/**
 * Headroom at a glance, pure: where memory stands against the lines the watchdog acts on (the board's warn level
 * and RAM threshold; an instance's kill line at 95% of its limit), what is left before the kill line, and, while
 * memory rises, when it would reach it at the rate the watchdog itself measured between its last two samples.
 */

/** Slower growth than this is the noise of a resting board (page cache, a worker's heap), not a rise. */
export const RISING_BYTES_PER_S = 2 ** 20;
/** Further off than this, "in N s" says nothing an operator can act on. */
export const FURTHEST_S = 600;
/**
 * Rising means rising in this many frames in a row (about as many seconds): one sample's rate of a whole board
 * jumps with whatever else runs on it, and "kill line in 83 s" for a board at rest is a false alarm.
 */
export const RISING_FRAMES = 3;

export interface Headroom {
  usedBytes: number;
  /** The bar's full scale: the board's RAM, or the instance's limit. */
  scaleBytes: number;
  warnBytes: number | null;
  killBytes: number;
  /** Left before the kill line; negative past it. */
  headroomBytes: number;
  /** At the current rate, until the kill line; null when memory is not rising (or the line is too far off). */
  secondsToKill: number | null;
}

/** The latest rate, where each of the last RISING_FRAMES rates is a rise; else null. */
function risingRate(
  frames: readonly MetricsFrame[],
  rateOf: (frame: MetricsFrame) => number | undefined,
): number | null {
  const rates = frames.slice(-RISING_FRAMES).map(rateOf);
  if (rates.length < RISING_FRAMES || rates.some((rate) => rate === undefined || rate < RISING_BYTES_PER_S))
    return null;
  return rates.at(-1)!;
}

function secondsTo(room: number, rate: number | null): number | null {
  if (rate === null || room <= 0) return null;
  const seconds = room / rate;
  return seconds <= FURTHEST_S ? seconds : null;
}

/** The board against its lines, from the latest frame (and the ones before it, for the rate); null with none. */
export function boardHeadroom(
  frames: readonly MetricsFrame[],
  thresholds: { ramThreshold: number; warnThreshold: number },
): Headroom | null {
  const frame = frames.at(-1);
  if (!frame) return null;
  const killBytes = frame.ramTotalBytes * (thresholds.ramThreshold / 100);
  const headroomBytes = killBytes - frame.ramUsedBytes;
  return {
    usedBytes: frame.ramUsedBytes,
    scaleBytes: frame.ramTotalBytes,
    warnBytes: frame.ramTotalBytes * (thresholds.warnThreshold / 100),
    killBytes,
    headroomBytes,
    secondsToKill: secondsTo(
      headroomBytes,
      risingRate(frames, (each) => each.fill?.ramBytesPerS),
    ),
  };
}

/** An instance against its limit; null where it is not running or has no limit. */
export function instanceHeadroom(
  frames: readonly MetricsFrame[],
  role: Role,
  limitBytes: number | null,
): Headroom | null {
  const frame = frames.at(-1);
  const worker = frame?.instances[role];
  if (!frame || !worker || !limitBytes) return null;
  const killBytes = limitBytes * LIMIT_ACTION_FRACTION;
  const headroomBytes = killBytes - worker.rssBytes;
  return {
    usedBytes: worker.rssBytes,
    scaleBytes: limitBytes,
    warnBytes: null,
    killBytes,
    headroomBytes,
    // A spared worker is the kernel's to stop, at the limit itself; the watchdog measures no rate for it.
    secondsToKill: worker.spare
      ? null
      : secondsTo(
          headroomBytes,
          risingRate(frames, (each) => each.fill?.instances[role]),
        ),
  };
}

const gb = (bytes: number) => `${(Math.abs(bytes) / 2 ** 30).toFixed(2)} GB`;

/** "3.21 GB to the kill line", or "0.40 GB past the kill line". */
export function headroomText(headroom: Headroom): string {
  return headroom.headroomBytes >= 0
    ? `${gb(headroom.headroomBytes)} to the kill line`
    : `${gb(headroom.headroomBytes)} past the kill line`;
}

/** "kill line in 12 s at the current rate", or null when memory is not rising toward it. */
export function etaText(headroom: Headroom): string | null {
  if (headroom.secondsToKill === null) return null;
  const seconds = Math.max(1, Math.round(headroom.secondsToKill));
  const when = seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
  return `kill line in ${when} at the current rate`;
}
