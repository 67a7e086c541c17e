import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { earlyoomArgs } from '../../bench/earlyoom.js';
import { rotation, type FillFigures, type PolicyFigures, type Ratios } from '../../bench/watchdog.js';
import { targetLine, watchdogTargets } from '../../bench/watchdogTargets.js';

function policy(medianHog: number, worstHog: number, medianBoard = medianHog, worstBoard = worstHog): PolicyFigures {
  return {
    runs: 11,
    medianSigtermMs: 50,
    worstSigtermMs: 100,
    medianExitMs: 51,
    worstExitMs: 101,
    medianOvershootMb: medianBoard,
    worstOvershootMb: worstBoard,
    medianHogOvershootMb: medianHog,
    worstHogOvershootMb: worstHog,
    achievedMbps: 900,
    hogMbps: 1000,
    backstops: 0,
  };
}

const NO_RATIOS: Ratios = {
  medianSigterm: 1,
  worstSigterm: 1,
  medianOvershoot: 1,
  worstOvershoot: 1,
  medianHogOvershoot: 1,
  worstHogOvershoot: 1,
};

function fill(rateMbps: number, ours: PolicyFigures, earlyoom: PolicyFigures | null): FillFigures {
  const original = policy(800, 1000);
  return { rateMbps, ours, original, earlyoom, ratios: { original: NO_RATIOS, earlyoom: earlyoom ? NO_RATIOS : null } };
}

const sampler = { hostCpuPercentOfOneCore: 0.4, instances: 3, sampleMicros: 60 };
const lines = (fills: FillFigures[]) => watchdogTargets(fills, sampler).map(targetLine);

describe('the watchdog bench', () => {
  it("prints PASS for figures at issue 12's targets and MISS for figures just over them", () => {
    const atTargets = lines([fill(200, policy(2, 8), policy(10, 32)), fill(1024, policy(8, 24), policy(60, 96))]);
    assert.ok(atTargets.includes('PASS  200 MB/s: our overshoot (hog alone) <= 2 / 8 MB median / worst: 2 / 8 MB'));
    assert.ok(atTargets.includes('PASS  1 GB/s: our overshoot (hog alone) <= 8 / 24 MB median / worst: 8 / 24 MB'));
    assert.equal(atTargets.filter((line) => line.includes("4x below earlyoom's worst")).length, 2);
    assert.ok(
      atTargets.filter((line) => line.includes("4x below earlyoom's worst")).every((l) => l.startsWith('PASS')),
    );

    const over = lines([fill(200, policy(2.1, 8), policy(10, 32)), fill(1024, policy(8, 24.5), policy(60, 97))]);
    assert.ok(over.some((line) => line.startsWith('MISS  200 MB/s: our overshoot (hog alone)')));
    assert.ok(over.some((line) => line.startsWith('MISS  1 GB/s: our overshoot (hog alone)')));
    // 24.5 x 4 = 98 > 97: not four times below.
    assert.ok(over.some((line) => line.startsWith('MISS  1 GB/s: our worst overshoot (hog alone) at least 4x below')));
  });

  it('says n/a, not PASS or MISS, for the comparison with earlyoom when earlyoom was not there', () => {
    const without = lines([fill(200, policy(1, 4), null)]);
    const line = without.find((l) => l.includes("earlyoom's worst"));
    assert.equal(
      line,
      "n/a   200 MB/s: our worst overshoot (hog alone) at least 4x below earlyoom's worst: earlyoom not installed",
    );
  });

  it('judges the host CPU target on the measured figure', () => {
    assert.ok(lines([]).includes('PASS  host CPU with 3 workers at steady state under 1% of a core: 0.4%'));
    const busy = watchdogTargets([], { ...sampler, hostCpuPercentOfOneCore: 1 }).map(targetLine);
    assert.ok(busy.includes('MISS  host CPU with 3 workers at steady state under 1% of a core: 1%'));
  });

  it("starts each run's earlyoom at the same line, in KiB of MemAvailable, preferring the hog by its name", () => {
    const args = earlyoomArgs(15 * 2 ** 30 + 1023);
    assert.equal(args[args.indexOf('-M') + 1], String(15 * 2 ** 20));
    assert.equal(args[args.indexOf('--prefer') + 1], '^bij-hog$');
    assert.equal(args[args.indexOf('-s') + 1], '100', 'memory alone decides, whatever the swap');
  });

  it('lets each policy go first equally often', () => {
    const policies = ['ours', 'original', 'earlyoom'];
    const firsts = [0, 1, 2, 3, 4, 5].map((run) => rotation(policies, run)[0]);
    assert.deepEqual(firsts, ['ours', 'original', 'earlyoom', 'ours', 'original', 'earlyoom']);
    assert.deepEqual([...rotation(policies, 4)].sort(), [...policies].sort());
  });
});
