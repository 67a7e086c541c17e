import type { FillFigures, WatchdogBenchResult } from './watchdog.js';

/** One target of the watchdog bench and whether this run met it; null when it could not be measured here. */
export interface Target {
  name: string;
  met: boolean | null;
  /** The figures it was judged on. */
  measured: string;
}

/** Issue 12's targets, hog alone (what the hog added after the crossing), median / worst MB. */
const OVERSHOOT_TARGETS: Record<number, { median: number; worst: number }> = {
  200: { median: 2, worst: 8 },
  1024: { median: 8, worst: 24 },
};
/** Our worst overshoot at least this many times below earlyoom's worst in the same bench. */
const BELOW_EARLYOOM = 4;
/** The first wave's targets, on the board's overshoot: worst case, and how far below the original's median. */
const FIRST_WAVE: Record<number, number> = { 200: 40, 1024: 150 };
const BELOW_ORIGINAL = 5;

export function watchdogTargets(fills: FillFigures[], sampler: WatchdogBenchResult['sampler']): Target[] {
  const targets: Target[] = [];
  for (const fill of fills) {
    const rate = fill.rateMbps === 1024 ? '1 GB/s' : `${fill.rateMbps} MB/s`;
    const { ours, earlyoom, original } = fill;
    const overshoot = OVERSHOOT_TARGETS[fill.rateMbps];
    if (overshoot) {
      targets.push({
        name: `${rate}: our overshoot (hog alone) <= ${overshoot.median} / ${overshoot.worst} MB median / worst`,
        met: ours.medianHogOvershootMb <= overshoot.median && ours.worstHogOvershootMb <= overshoot.worst,
        measured: `${ours.medianHogOvershootMb} / ${ours.worstHogOvershootMb} MB`,
      });
    }
    targets.push({
      name: `${rate}: our worst overshoot (hog alone) at least ${BELOW_EARLYOOM}x below earlyoom's worst`,
      met: earlyoom ? ours.worstHogOvershootMb * BELOW_EARLYOOM <= earlyoom.worstHogOvershootMb : null,
      measured: earlyoom
        ? `ours ${ours.worstHogOvershootMb} MB, earlyoom ${earlyoom.worstHogOvershootMb} MB (${fill.ratios.earlyoom!.worstHogOvershoot}x)`
        : 'earlyoom not installed',
    });
    const firstWave = FIRST_WAVE[fill.rateMbps];
    if (firstWave !== undefined) {
      targets.push({
        name: `${rate}: first wave: board overshoot <= ${firstWave} MB worst, >= ${BELOW_ORIGINAL}x below the original's median`,
        met:
          ours.worstOvershootMb <= firstWave &&
          original.medianOvershootMb >= BELOW_ORIGINAL * Math.max(1, ours.medianOvershootMb),
        measured: `worst ${ours.worstOvershootMb} MB, ${fill.ratios.original.medianOvershoot}x below`,
      });
    }
  }
  targets.push({
    name: `host CPU with ${sampler.instances} workers at steady state under 1% of a core`,
    met: sampler.hostCpuPercentOfOneCore < 1,
    measured: `${sampler.hostCpuPercentOfOneCore}%`,
  });
  return targets;
}

/** The line a reader scans for: PASS, MISS, or n/a where the bench could not measure it here. */
export function targetLine(target: Target): string {
  const verdict = target.met === null ? 'n/a ' : target.met ? 'PASS' : 'MISS';
  return `${verdict}  ${target.name}: ${target.measured}`;
}
