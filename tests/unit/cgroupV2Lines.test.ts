import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { parseHighEvents } from '../../electron/core/enforcement/cgroupFiles.js';
import { V2Lines } from '../../electron/core/enforcement/highWatch.js';
import type { KernelSignal } from '../../electron/core/enforcement/kernelLines.js';
import { fixture } from '../helpers/fixtures.js';

const MB = 2 ** 20;
const quiet = fixture('recorded/cgroup/v2-memory-events-after-oom-kill-no-group-kill-line.txt');
const throttled = fixture('recorded/cgroup/v2-memory-events-memory-high-throttled-no-oom.txt');

/** A v2 group folder as the kernel shows it, from recorded files (v2 cannot be mounted on these v1 machines). */
function groupFolder(parent: string, name: string, events: string, current: number): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'memory.events'), events);
  fs.writeFileSync(path.join(dir, 'memory.current'), `${current}\n`);
  return dir;
}

describe('cgroup v2 lines: memory.high, its throttles watched in memory.events', () => {
  it('reads the high counter of recorded memory.events files', () => {
    assert.equal(parseHighEvents(throttled), 125);
    assert.equal(parseHighEvents(quiet), 0);
    assert.equal(parseHighEvents(''), 0);
  });

  it("reports a throttled worker as crossing its line, and places the parent's memory.high under the board's", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-v2-'));
    fs.writeFileSync(path.join(base, 'memory.current'), `${600 * MB}\n`);
    const subject = groupFolder(base, 'SUBJECT-1', quiet, 400 * MB);
    groupFolder(base, 'GOD-2', quiet, 200 * MB);
    const lines = new V2Lines(base);
    const signals: KernelSignal[] = [];
    const heard = new Promise<void>((resolve) =>
      lines.onSignal((signal) => {
        signals.push(signal);
        resolve();
      }),
    );
    try {
      lines.watch(subject, 'SUBJECT', 4242, subject, 500 * MB);
      lines.watch(path.join(base, 'GOD-2'), 'GOD', 4343, path.join(base, 'GOD-2'), 500 * MB);
      // The board: 8 GB, 5 GB used, the line at 75% (6 GB): the instances may grow 1 GB past their 600 MB.
      const instances = [
        { role: 'SUBJECT' as const, pid: 4242, rssBytes: 400 * MB, limitBytes: 500 * MB, spare: false },
        { role: 'GOD' as const, pid: 4343, rssBytes: 200 * MB, limitBytes: 500 * MB, spare: false },
      ];
      const sample = { ramUsedBytes: 5 * 1024 * MB, ramTotalBytes: 8 * 1024 * MB, ramThreshold: 75, instances };
      lines.update({ ...sample, victimPolicy: 'largest', graceMs: 1000 });
      assert.equal(Number(fs.readFileSync(path.join(base, 'memory.high'), 'utf8')), 1624 * MB);

      fs.writeFileSync(path.join(subject, 'memory.events'), throttled);
      // The watch does not hold the host's loop open (a host has its own reasons to run); this test's clock does.
      let clock: NodeJS.Timeout | undefined;
      const late = new Promise((_, reject) => (clock = setTimeout(() => reject(new Error('no throttle heard')), 5000)));
      await Promise.race([heard, late]);
      clearTimeout(clock);
      assert.equal(signals.length, 1);
      assert.deepEqual(
        [signals[0]!.role, signals[0]!.pid, signals[0]!.reason, signals[0]!.by],
        ['SUBJECT', 4242, 'ram-limit', 'cgroup-v2-memory-high'],
      );
      assert.equal(signals[0]!.usageBytes, 400 * MB);
      fs.writeFileSync(path.join(subject, 'memory.events'), throttled);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(signals.length, 1, 'the same count again is no new throttle');
    } finally {
      lines.dispose();
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
