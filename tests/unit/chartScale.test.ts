import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ChartPoint } from '../../renderer/state/chartData.js';
import { chartScales, limitLines, roundScale, scaleFromZero, timeTicks } from '../../renderer/state/chartScale.js';

const GB = 2 ** 30;
const MB = 2 ** 20;

function point(t: number, restGb: number, subjectGb: number | null, tokens: number | null = null): ChartPoint {
  return {
    t,
    ramPercent: 0,
    ramUsedGb: restGb + (subjectGb ?? 0),
    restGb,
    gpuPercent: null,
    gpuLoad: null,
    memoryGb: { SUBJECT: subjectGb },
    tokensPerSecond: { SUBJECT: tokens },
    temperatures: {},
  };
}

describe('chart scales', () => {
  it('puts ticks on round numbers and covers the range', () => {
    assert.deepEqual(roundScale(0, 23.4), { domain: [0, 25], ticks: [0, 5, 10, 15, 20, 25] });
    assert.deepEqual(roundScale(0, 0.37).ticks, [0, 0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(roundScale(0, 0.12).ticks, [0, 0.025, 0.05, 0.075, 0.1, 0.125]);
    assert.deepEqual(roundScale(3.1, 3.4).ticks, [3.1, 3.2, 3.3, 3.4], 'no 3.3000000000000003');
    assert.deepEqual(roundScale(35, 72).ticks, [30, 40, 50, 60, 70, 80]);
    assert.deepEqual(roundScale(0, 0).domain, [0, 1], 'nothing yet still has a scale');
  });

  it('scales from zero to the largest value, skipping gaps', () => {
    assert.deepEqual(scaleFromZero([null, 693, undefined, 12]).ticks, [0, 200, 400, 600, 800]);
  });

  it('ticks time on the round marks of the clock', () => {
    const start = Date.UTC(2026, 0, 1, 10, 0, 7);
    assert.deepEqual(
      timeTicks(start, start + 60_000).map((t) => new Date(t).getUTCSeconds()),
      [10, 20, 30, 40, 50, 0],
    );
    assert.deepEqual(
      timeTicks(start, start + 3_600_000).map((t) => new Date(t).getUTCMinutes()),
      [10, 20, 30, 40, 50, 0],
    );
  });

  it('gives a 120 MB instance on a 24 GB board a scale it shows on, and a zoom of the board that shows it', () => {
    const points = Array.from({ length: 60 }, (_, index) => point(index * 1000, 6 + (index % 2) * 0.05, 0.12));
    const scales = chartScales(points, ['SUBJECT'], [{ instance: 'SUBJECT', ramLimitBytes: 300 * MB }], 24, null);
    assert.deepEqual(scales.board.domain, [0, 25]);
    assert.ok(scales.instances.domain[1] <= 0.5, `instances up to ${scales.instances.domain[1]} GB`);
    assert.equal(scales.limitsDrawn.length, 1, 'a limit near the instance is drawn');
    const [low, high] = scales.boardZoomed.domain;
    assert.ok(
      0.12 / (high - low) >= 0.2,
      `the instance fills ${((0.12 / (high - low)) * 100).toFixed(0)}% of the zoom`,
    );
  });

  it('names a limit far above the instance under the chart instead of squashing the instance', () => {
    const points = [point(0, 6, 0.12), point(1000, 6, 0.1)];
    const scales = chartScales(points, ['SUBJECT'], [{ instance: 'SUBJECT', ramLimitBytes: 8 * GB }], 24, null);
    assert.deepEqual(scales.limitsDrawn, []);
    assert.equal(scales.limitsAbove[0]?.bytes, 8 * GB);
    assert.ok(scales.instances.domain[1] <= 0.2);
  });

  it('gives each distinct limit one line, and labels of different lines different places', () => {
    const lines = limitLines([
      { instance: 'SUBJECT', ramLimitBytes: 300 * MB },
      { instance: 'OBSERVER', ramLimitBytes: 310 * MB },
      { instance: 'GOD', ramLimitBytes: 300 * MB },
    ]);
    assert.deepEqual(
      lines.map((line) => [line.roles, line.place]),
      [
        [['SUBJECT', 'GOD'], 'insideTopLeft'],
        [['OBSERVER'], 'insideTopRight'],
      ],
    );
    const three = limitLines([
      { instance: 'SUBJECT', ramLimitBytes: 1 },
      { instance: 'OBSERVER', ramLimitBytes: 2 },
      { instance: 'GOD', ramLimitBytes: 3 },
    ]);
    assert.equal(new Set(three.map((line) => line.place)).size, 3);
  });
});
