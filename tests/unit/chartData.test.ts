import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { MetricsFrame } from '../../shared/metrics.js';
import { chartPoints, newestBucket, WINDOWS, zonesOf } from '../../renderer/state/chartData.js';

const GB = 2 ** 30;
const [MINUTE, , HOUR] = WINDOWS;

/** A frame a second, with SUBJECT at `subjectGb` (or no worker at all), on a 32 GB board. */
function frame(t: number, ramPercent: number, subjectGb: number | null, temperatureC?: number): MetricsFrame {
  const usedBytes = (ramPercent / 100) * 32 * GB;
  return {
    t,
    ramTotalBytes: 32 * GB,
    ramUsedBytes: usedBytes,
    ramPercent,
    gpu: null,
    psi: null,
    temperaturesC: temperatureC === undefined ? {} : { 'cpu-thermal': temperatureC },
    intervalMs: 1000,
    instances:
      subjectGb === null
        ? {}
        : {
            SUBJECT: {
              role: 'SUBJECT',
              pid: 1,
              spare: false,
              killable: true,
              rssBytes: subjectGb * GB,
              rssAnonBytes: subjectGb * GB,
              rssFileBytes: 0,
              vramBytes: null,
              limitBytes: 6 * GB,
              tokensPerSecond: 20,
            },
          },
  };
}

describe('chart points', () => {
  const start = 1_800_000_000_000;
  const hour = Array.from({ length: 3600 }, (_, second) => frame(start + second * 1000, 40, 2));

  it('draws a point per 20 s for the hour, and only the chosen window', () => {
    assert.equal(chartPoints(hour, ['SUBJECT'], HOUR).length, 180);
    const minute = chartPoints(hour, ['SUBJECT'], MINUTE);
    assert.equal(minute.length, 60, 'a point a second for the last minute');
    assert.ok(minute[0]!.t > hour.at(-1)!.t - 60_000);
  });

  it('opens a new bucket every 20 s on the hour chart, so the charts redraw that often and not for every frame', () => {
    const buckets = hour.slice(0, 60).map((_, index) => newestBucket(hour.slice(0, index + 1), HOUR));
    assert.equal(new Set(buckets).size, 3);
    assert.equal(new Set(hour.slice(0, 30).map((_, index) => newestBucket(hour.slice(0, index + 1), MINUTE))).size, 30);
  });

  it('keeps a one-second spike visible when an hour is squeezed into 180 points', () => {
    const spiked = hour.map((entry, index) => (index === 1800 ? frame(entry.t, 89.5, 5.5) : entry));
    const points = chartPoints(spiked, ['SUBJECT'], HOUR);
    assert.equal(Math.max(...points.map((entry) => entry.ramPercent)), 89.5);
    assert.equal(Math.max(...points.map((entry) => entry.memoryGb.SUBJECT ?? 0)), 5.5);
  });

  it('stacks the instance on the rest of the system, and leaves a gap (not a zero) while it has no worker', () => {
    const points = chartPoints(
      [frame(start, 50, 4), frame(start + 1000, 50, null), frame(start + 2000, 50, 4)],
      ['SUBJECT'],
      MINUTE,
    );
    assert.equal(points[0]!.restGb, 12, '16 GB used, 4 of them SUBJECT');
    assert.equal(points[1]!.memoryGb.SUBJECT, null);
    assert.equal(points[1]!.restGb, 16);
  });

  it('lists the thermal zones it saw', () => {
    assert.deepEqual(zonesOf(chartPoints([frame(start, 10, 1, 51)], ['SUBJECT'], HOUR)), ['cpu-thermal']);
    assert.deepEqual(zonesOf(chartPoints([frame(start, 10, 1)], ['SUBJECT'], HOUR)), []);
  });
});
