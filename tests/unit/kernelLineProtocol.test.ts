import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { boardVictim, confirmCrossing, REREAD_MS } from '../../electron/core/enforcement/kernelLineProtocol.js';
import { lineHolds } from '../../electron/core/watchdog/lineHolds.js';
import { HOLD_MS } from '../../electron/core/watchdog/policy.js';

const MB = 2 ** 20;

/** Reads in order, on a clock that moves only when the watcher sleeps. */
function replay(reads: number[]) {
  let now = 0;
  let at = 0;
  const clock = { now: () => now, sleep: (ms: number) => void (now += ms) };
  const read = () => reads[Math.min(at++, reads.length - 1)]!;
  return { clock, read, elapsed: () => now };
}

describe("the kernel line watcher's decisions", () => {
  it('acts at once on a fill, after the hold on a line still crossed, and never on a spike that falls back', () => {
    const fill = replay([101 * MB, 104 * MB, 110 * MB]);
    assert.deepEqual(confirmCrossing(100 * MB, fill.read, fill.clock), { act: true, usageBytes: 110 * MB });
    assert.equal(fill.elapsed(), 2 * REREAD_MS, 'two re-reads, 2 ms apart');

    // 200 MB/s read every 2 ms: acted on as it keeps rising, about a megabyte past the line.
    const steady = replay([100.2, 100.6, 101.0, 101.4, 101.8].map((mb) => mb * MB));
    assert.deepEqual(confirmCrossing(100 * MB, steady.read, steady.clock), { act: true, usageBytes: 101.4 * MB });

    const spike = replay([103 * MB, 103 * MB, 103 * MB, 99 * MB]);
    assert.equal(confirmCrossing(100 * MB, spike.read, spike.clock).act, false);

    const stuck = replay([101 * MB]);
    assert.equal(confirmCrossing(100 * MB, stuck.read, stuck.clock).act, true);
    assert.ok(stuck.elapsed() >= HOLD_MS, `acted after ${stuck.elapsed()} ms`);

    const downward = replay([90 * MB]);
    assert.equal(confirmCrossing(100 * MB, downward.read, downward.clock).act, false, 'the kernel fires both ways');
  });

  it("names the board line's victim by the operator's policy, never a spared one", () => {
    const groups = [
      { role: 'SUBJECT' as const, usageBytes: 300 * MB },
      { role: 'OBSERVER' as const, usageBytes: 900 * MB },
      { role: 'GOD' as const, usageBytes: 500 * MB },
    ];
    assert.equal(boardVictim(groups, 'largest', [])?.role, 'OBSERVER');
    assert.equal(boardVictim(groups, 'largest', ['OBSERVER'])?.role, 'GOD');
    assert.equal(boardVictim(groups, 'role-order', [])?.role, 'SUBJECT');
    assert.equal(boardVictim(groups, 'role-order', ['SUBJECT', 'OBSERVER', 'GOD']), null);
  });

  it('says which mechanism holds each line', () => {
    const facts = { baseIntervalMs: 1000, minIntervalMs: 10, kernelLinesFailed: null, nvmap: false };
    const labels = (holds: ReturnType<typeof lineHolds>) => holds.map((hold) => `${hold.line}: ${hold.label}`);
    assert.deepEqual(labels(lineHolds({ ...facts, enforcement: 'cgroup-v1' })), [
      'instance-limits: kernel threshold (cgroup v1 eventfd)',
      'ram-threshold: kernel threshold (cgroup v1 eventfd)',
      'gpu-threshold: polling every 1000 ms (10 ms near the line)',
    ]);
    assert.deepEqual(labels(lineHolds({ ...facts, enforcement: 'cgroup-v2' })).slice(0, 2), [
      'instance-limits: memory.high (cgroup v2)',
      'ram-threshold: polling every 1000 ms (10 ms near the line)',
    ]);
    const failed = lineHolds({ ...facts, enforcement: 'cgroup-v1', kernelLinesFailed: 'the line watcher failed' });
    assert.ok(
      failed.every((hold) => hold.mechanism === 'polling'),
      'a watcher that failed holds nothing',
    );
    const jetson = lineHolds({ ...facts, enforcement: 'cgroup-v1', nvmap: true });
    assert.ok(
      jetson.every((hold) => hold.mechanism === 'polling'),
      'nvmap is not charged to cgroups',
    );
    assert.match(
      jetson[0]!.label,
      /with kernel thresholds \(cgroup v1 eventfd\) for what the cgroups see \(not nvmap\)/,
    );
  });
});
