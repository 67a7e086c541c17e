import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MIB } from '../../shared/board.js';
import { parseNvidiaSmiCsv } from '../../electron/core/board/nvidiaSmi.js';
import { parseTegrastats } from '../../electron/core/board/tegrastats.js';
import {
  chooseVictim,
  fillRate,
  findCrossing,
  findSpike,
  holdReason,
  nextIntervalMs,
  crossingVerdict,
  nextTrend,
  RISING_READS,
  FILL_MARGIN_BYTES,
  HOLD_MS,
  pastLine,
  reducedLayers,
  type InstanceSample,
  type WatchdogConfig,
  type WatchdogSample,
} from '../../electron/core/watchdog/policy.js';
import { fixture } from '../helpers/fixtures.js';

const config: WatchdogConfig = {
  ramThreshold: 90,
  gpuThreshold: 85,
  warnThreshold: 70,
  baseIntervalMs: 2000,
  minIntervalMs: 100,
  victimPolicy: 'largest',
  timing: 'adaptive',
  spikePoints: 10,
};

const GB = 2 ** 30;
const instance = (
  role: InstanceSample['role'],
  rssGb: number,
  limitGb: number,
  extra: Partial<InstanceSample> = {},
): InstanceSample => ({
  role,
  rssBytes: rssGb * GB,
  limitBytes: limitGb * GB,
  vramBytes: null,
  spare: false,
  ...extra,
});

/** A Jetson Xavier NX running gpu-burn: tegrastats once a second, RAM from 33% to 81% (unified: no GPU line). */
function jetsonSequence(): WatchdogSample[] {
  const samples = parseTegrastats(fixture('recorded/tegrastats/xavier-nx-8gb-jp5.1-gpuburn-in-container.txt'));
  const baseline = samples[0]!.ramUsedBytes!;
  return samples.map((sample, index) => ({
    t: index * 1000,
    ramUsedBytes: sample.ramUsedBytes!,
    ramTotalBytes: sample.ramTotalBytes!,
    ramPercent: (sample.ramUsedBytes! / sample.ramTotalBytes!) * 100,
    gpuUsedBytes: null,
    gpuTotalBytes: null,
    // The growth is the instance's: it runs gpu-burn.
    instances: [
      {
        role: 'SUBJECT',
        rssBytes: 0.3 * GB + (sample.ramUsedBytes! - baseline),
        limitBytes: 6 * GB,
        vramBytes: null,
        spare: false,
      },
    ],
  }));
}

/** A Tesla T4 sampled every 100 ms by nvidia-smi -lms: GPU memory from 0 to 1205 MiB and back. */
function discreteSequence(): WatchdogSample[] {
  const gpus = parseNvidiaSmiCsv(fixture('recorded/nvidia-smi/tesla-t4-16gb-csv-header-units-lms100-loop.txt'));
  return gpus.map((gpu, index) => ({
    t: index * 100,
    ramUsedBytes: 4 * GB,
    ramTotalBytes: 16 * GB,
    ramPercent: 25,
    gpuUsedBytes: gpu.memoryUsedBytes,
    gpuTotalBytes: gpu.memoryTotalBytes,
    instances: [
      instance('SUBJECT', 1, 6, { vramBytes: gpu.memoryUsedBytes }),
      instance('OBSERVER', 2, 6, { vramBytes: 0 }),
    ],
  }));
}

describe('watchdog policy on a Jetson recording (unified memory)', () => {
  const samples = jetsonSequence();

  it('crosses the RAM threshold where the recording does', () => {
    const strict = { ...config, ramThreshold: 80, gpuThreshold: 50 };
    const first = samples.findIndex((sample) => findCrossing(sample, strict) !== null);
    assert.ok(first > 0);
    assert.ok(samples[first]!.ramPercent >= 80 && samples[first - 1]!.ramPercent < 80);
    assert.deepEqual(findCrossing(samples[first]!, strict), {
      reason: 'ram-threshold',
      instance: null,
      value: samples[first]!.ramPercent,
      threshold: 80,
    });
  });

  it('reports the 26-point jump between two seconds as a spike, as the original did', () => {
    const spikes = samples.slice(1).flatMap((sample, index) => findSpike(samples[index]!, sample, config) ?? []);
    assert.ok(spikes.length >= 1);
    assert.ok(spikes.every((spike) => spike.metric === 'ram' && spike.toPercent - spike.fromPercent > 10));
  });

  it('samples faster as the headroom shrinks, never below 100 ms, and faster than the original above 70%', () => {
    let fastest = 0;
    const adaptive: number[] = [];
    const original: number[] = [];
    samples.forEach((sample, index) => {
      if (index > 0) fastest = Math.max(fastest, fillRate(samples[index - 1]!, sample));
      adaptive.push(nextIntervalMs(sample, fastest, config));
      original.push(nextIntervalMs(sample, fastest, { ...config, timing: 'original' }));
    });
    // 3.8 GB from the line at an assumed 1 GB/s: nearly the base interval before any fill is seen.
    assert.ok(adaptive[0]! > 1500 && adaptive[0]! <= 2000, `${adaptive[0]} ms`);
    assert.ok(adaptive.every((ms) => ms >= 100 && ms <= 2000));
    assert.ok(Math.min(...adaptive) < 1000, 'near the line it samples more than once a second');
    assert.deepEqual([...new Set(original)].sort(), [1000, 2000]);
    samples.forEach((sample, index) => {
      if (sample.ramPercent > 70) assert.ok(adaptive[index]! <= original[index]!);
    });
  });
});

describe('watchdog policy on a discrete GPU recording', () => {
  const samples = discreteSequence();

  it('crosses the GPU threshold where the recording does, and chooses the instance holding the GPU memory', () => {
    const strict = { ...config, gpuThreshold: 5 };
    const index = samples.findIndex((sample) => findCrossing(sample, strict) !== null);
    assert.ok(index > 0, 'the recording crosses 5% of 15360 MiB');
    const crossing = findCrossing(samples[index]!, strict)!;
    assert.equal(crossing.reason, 'gpu-threshold');
    assert.ok(samples[index]!.gpuUsedBytes! >= 0.05 * 15360 * MIB);
    // OBSERVER holds more RAM, SUBJECT holds the GPU memory: a GPU crossing takes SUBJECT.
    assert.equal(chooseVictim(samples[index]!, crossing, strict)!.role, 'SUBJECT');
  });

  it('sees no crossing at the default 85%', () => {
    assert.ok(samples.every((sample) => findCrossing(sample, config) === null));
  });
});

describe('victims, holds and layers', () => {
  const board = (instances: InstanceSample[], ramPercent = 50): WatchdogSample => ({
    t: 0,
    ramUsedBytes: (ramPercent / 100) * 32 * GB,
    ramTotalBytes: 32 * GB,
    ramPercent,
    gpuUsedBytes: null,
    gpuTotalBytes: null,
    instances,
  });

  it('takes an instance at its own limit (95% of it) first, whatever the policy', () => {
    const sample = board([instance('SUBJECT', 1, 6), instance('OBSERVER', 6.7, 7), instance('GOD', 5, 7)], 95);
    const crossing = findCrossing(sample, config)!;
    assert.deepEqual([crossing.reason, crossing.instance], ['ram-limit', 'OBSERVER']);
    assert.equal(chooseVictim(sample, crossing, { ...config, victimPolicy: 'role-order' })!.role, 'OBSERVER');
    assert.equal(findCrossing(board([instance('SUBJECT', 5.6, 6)]), config), null, '93% of its limit is still fine');
  });

  it('at a board threshold, takes the largest, or SUBJECT, OBSERVER, GOD in role order', () => {
    const sample = board([instance('SUBJECT', 1, 6), instance('OBSERVER', 2, 7), instance('GOD', 3, 7)], 92);
    const crossing = findCrossing(sample, config)!;
    assert.equal(crossing.reason, 'ram-threshold');
    assert.equal(chooseVictim(sample, crossing, config)!.role, 'GOD');
    assert.equal(chooseVictim(sample, crossing, { ...config, victimPolicy: 'role-order' })!.role, 'SUBJECT');
  });

  it('never chooses a spared instance; with only spared ones, nobody', () => {
    const sample = board([instance('SUBJECT', 7, 6, { spare: true }), instance('GOD', 3, 7)], 92);
    const crossing = findCrossing(sample, config)!;
    assert.equal(crossing.reason, 'ram-threshold', "a spared instance's limit is the kernel's business");
    assert.equal(chooseVictim(sample, crossing, config)!.role, 'GOD');
    const onlySpared = board([instance('SUBJECT', 3, 6, { spare: true })], 92);
    assert.equal(chooseVictim(onlySpared, findCrossing(onlySpared, config)!, config), null);
  });

  it('acts on a fill at once, on a line still crossed after the hold, and on nothing that falls back', () => {
    const once = (overBytes: number) => nextTrend(null, overBytes);
    assert.equal(crossingVerdict(once(-1), 0), 'recovered');
    assert.equal(crossingVerdict(once(-1), 500), 'recovered', 'back under the line: a spike, whatever its age');
    assert.equal(crossingVerdict(once(3 * MIB), 5), 'wait', 'just over, just now: read again');
    assert.equal(crossingVerdict(once(FILL_MARGIN_BYTES), 0), 'act', 'far past the line at once: a fill');
    assert.equal(crossingVerdict(once(1), HOLD_MS), 'act', 'still over after the hold');
  });

  it('acts on a fill as it keeps rising, about a megabyte past the line at 200 MB/s, but waits out a spike that stands', () => {
    // Re-reads 2 ms apart of a 200 MB/s fill: 0.4 MB higher each time.
    let trend = null as ReturnType<typeof nextTrend> | null;
    const verdicts = [0.2, 0.6, 1.0, 1.4].map((mb, read) => {
      trend = nextTrend(trend, mb * MIB);
      return crossingVerdict(trend, read * 2);
    });
    assert.deepEqual(verdicts, ['wait', 'wait', 'wait', 'act'], `acted at ${RISING_READS} rises in a row`);
    // A spike: up in a burst, then standing 3 MB past the line until it is freed.
    trend = null;
    const spike = [1, 3, 3, 3, 3, 3, 3, -20].map((mb, read) => {
      trend = nextTrend(trend, mb * MIB);
      return crossingVerdict(trend, read * 2);
    });
    assert.deepEqual(spike, ['wait', 'wait', 'wait', 'wait', 'wait', 'wait', 'wait', 'recovered']);
    // Noise of a few kilobytes a read is not a rise.
    trend = null;
    for (const kb of [100, 110, 120, 130, 140]) trend = nextTrend(trend, kb * 1024);
    assert.equal(trend!.rises, 0);
  });

  it("sees a fill over the RAM threshold in a worker's own memory while the board's figure stands still", () => {
    const crossing = { reason: 'ram-threshold' as const, instance: null, value: 91, threshold: 90 };
    const before = board([instance('SUBJECT', 2, 6), instance('GOD', 3, 7)], 91);
    const line = before.ramTotalBytes * 0.9;
    const workerGrew = board([instance('SUBJECT', 2, 6), instance('GOD', 3.01, 7)], 91);
    const grew = pastLine(crossing, before, workerGrew, config) - pastLine(crossing, before, before, config);
    assert.ok(Math.abs(grew - 0.01 * GB) < MIB, `GOD grew by 10 MB, seen as ${grew / MIB} MB`);
    assert.ok(pastLine(crossing, before, board(before.instances, 89), config) < 0, 'under the line again');
    assert.ok(Math.abs(pastLine(crossing, before, before, config) - (before.ramUsedBytes - line)) < 1);
    const limit = { reason: 'ram-limit' as const, instance: 'SUBJECT' as const, value: 0, threshold: 0 };
    const over = board([instance('SUBJECT', 5.8, 6)]);
    assert.ok(Math.abs(pastLine(limit, over, over, config) - (5.8 - 5.7) * GB) < MIB);
  });

  it('samples at the base interval far from every line, and at 100 ms when a fill is about to cross it', () => {
    assert.equal(nextIntervalMs(board([instance('SUBJECT', 2, 10)], 40), 0, config), 2000);
    const near = board([instance('SUBJECT', 2, 10)], 89.5);
    assert.equal(nextIntervalMs(near, 0, config), 100, '160 MB from the line at an assumed 1 GB/s');
    assert.equal(nextIntervalMs(board([instance('SUBJECT', 2, 10)], 85), 0, config), 800);
    assert.equal(nextIntervalMs(board([instance('SUBJECT', 2, 10)], 85), 4 * GB, config), 100, 'a second from it');
    const held = { ...config, kernelHeld: { limits: true, ramThreshold: true } };
    const far = board([instance('SUBJECT', 2, 10)], 40);
    assert.equal(nextIntervalMs(far, 0, held), 2000, 'lines the kernel watches: the base interval away from them');
    assert.equal(nextIntervalMs(near, 0, held), 100, 'and the backstop at its fastest near one');
  });

  it('holds starts above the warn level', () => {
    assert.equal(holdReason(board([], 69.9), config), null);
    assert.equal(holdReason(board([], 75), config), 'memory at 75.0%, above the warn level of 70%');
  });

  it('takes a quarter of the GPU layers away after a GPU-threshold kill, at least one', () => {
    assert.deepEqual([33, 24, 3, 1, 0].map(reducedLayers), [24, 18, 2, 0, 0]);
  });
});
