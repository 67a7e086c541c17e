import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fillRates } from '../../electron/core/watchdog/policy.js';
import { boardHeadroom, etaText, headroomText, instanceHeadroom } from '../../renderer/state/headroom.js';
import type { InstanceMetrics, MetricsFrame } from '../../shared/metrics.js';

const GIB = 2 ** 30;
const worker = (rssBytes: number, spare = false): InstanceMetrics => ({
  role: 'SUBJECT',
  pid: 1,
  rssBytes,
  rssAnonBytes: rssBytes,
  rssFileBytes: 0,
  vramBytes: null,
  limitBytes: 2 * GIB,
  spare,
  killable: true,
  tokensPerSecond: null,
});
const frame = (usedGb: number, fill?: MetricsFrame['fill'], subject = worker(GIB)): MetricsFrame => ({
  t: 0,
  ramTotalBytes: 10 * GIB,
  ramUsedBytes: usedGb * GIB,
  ramPercent: usedGb * 10,
  gpu: null,
  psi: null,
  temperaturesC: {},
  intervalMs: 1000,
  instances: { SUBJECT: subject },
  ...(fill ? { fill } : {}),
});
const lines = { ramThreshold: 90, warnThreshold: 70 };
/** The same frame three times: memory rising at its rate for three frames in a row. */
const thrice = (...args: Parameters<typeof frame>) => [frame(...args), frame(...args), frame(...args)];

describe('headroom at a glance', () => {
  it("puts the board's RAM against the warn and kill lines, with the headroom in GB", () => {
    const headroom = boardHeadroom(thrice(6), lines)!;
    assert.equal(headroom.warnBytes, 7 * GIB);
    assert.equal(headroom.killBytes, 9 * GIB);
    assert.equal(headroomText(headroom), '3.00 GB to the kill line');
    assert.equal(headroomText(boardHeadroom(thrice(9.5), lines)!), '0.50 GB past the kill line');
    assert.equal(boardHeadroom([], lines), null, 'no frame yet');
  });

  it('says when the kill line is reached at the current rate, only while memory rises', () => {
    const eta = (frames: MetricsFrame[]) => etaText(boardHeadroom(frames, lines)!);
    const rate = (ramBytesPerS: number) => ({ ramBytesPerS, instances: {} });
    assert.equal(eta(thrice(6, rate(0.25 * GIB))), 'kill line in 12 s at the current rate');
    assert.equal(eta(thrice(6, rate(-GIB))), null, 'falling');
    assert.equal(eta(thrice(6, rate(1000))), null, 'noise');
    assert.equal(eta(thrice(6)), null, 'no rate yet');
    assert.equal(eta(thrice(6, rate(0.01 * GIB))), 'kill line in 5 min at the current rate');
    // One sample's jump on a board at rest is not a rise: the panel said "kill line in 83 s" on an idle host.
    assert.equal(eta([frame(6, rate(0)), frame(6, rate(0)), frame(6, rate(0.25 * GIB))]), null, 'one jump');
    assert.equal(eta([frame(6, rate(0.25 * GIB)), frame(6, rate(0.25 * GIB))]), null, 'two frames');
  });

  it("does the same for a card against the watchdog's line at 95% of its limit", () => {
    const card = instanceHeadroom(
      thrice(6, { ramBytesPerS: 0, instances: { SUBJECT: 0.1 * GIB } }),
      'SUBJECT',
      2 * GIB,
    )!;
    assert.equal(card.killBytes, 1.9 * GIB);
    assert.equal(headroomText(card), '0.90 GB to the kill line');
    assert.equal(etaText(card), 'kill line in 9 s at the current rate');
    assert.equal(instanceHeadroom(thrice(6), 'GOD', 2 * GIB), null, 'not running');
    const spared = frame(6, { ramBytesPerS: 0, instances: { SUBJECT: GIB } }, worker(GIB, true));
    assert.equal(
      etaText(instanceHeadroom([spared, spared, spared], 'SUBJECT', 2 * GIB)!),
      null,
      'the kernel stops a spared one',
    );
  });

  it('takes its rates from the watchdog: growth per second between two samples, per measure', () => {
    const sample = (t: number, ram: number, rss: number) => ({
      t,
      ramUsedBytes: ram,
      ramTotalBytes: 10 * GIB,
      ramPercent: 0,
      gpuUsedBytes: null,
      gpuTotalBytes: null,
      instances: [{ role: 'SUBJECT' as const, rssBytes: rss, limitBytes: GIB, vramBytes: null, spare: false }],
    });
    assert.deepEqual(fillRates(sample(0, GIB, 0), sample(500, 1.5 * GIB, 0.25 * GIB)), {
      ramBytesPerS: GIB,
      gpuBytesPerS: null,
      instances: { SUBJECT: 0.5 * GIB },
    });
    assert.equal(fillRates(sample(0, 0, 0), sample(0, GIB, 0)), null);
  });
});
