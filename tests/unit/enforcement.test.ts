import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { detectEnforcement } from '../../electron/core/enforcement/enforcement.js';
import { SystemdScopeEnforcement } from '../../electron/core/enforcement/systemdScope.js';
import { nvidiaSmiStandIn } from '../helpers/gpuStandIns.js';

/** A machine with no memory cgroup this process may use: the user systemd manager is the last resort. */
const NO_CGROUPS = { procSelfCgroup: '' };

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A systemctl that says the user manager runs, and whose set-property hangs ignoring SIGTERM with a child that
 * ignores it too (a wedged bus): each run logs its arguments and its child's pid.
 */
function stuckSetProperty(): { path: string; runs: () => string[]; pids: () => number[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-systemctl-'));
  const script = path.join(dir, 'systemctl');
  const log = path.join(dir, 'log');
  fs.writeFileSync(log, '');
  fs.writeFileSync(
    script,
    `#!/bin/bash
log=${JSON.stringify(log)}
echo "run $$ $*" >> "$log"
if [ "$2" = is-system-running ]; then echo running; exit 0; fi
trap '' TERM
bash -c 'trap "" TERM; while :; do sleep 1; done' &
echo "child $!" >> "$log"
while :; do sleep 1; done
`,
  );
  fs.chmodSync(script, 0o755);
  const lines = () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return {
    path: script,
    runs: () =>
      lines()
        .filter((line) => line.startsWith('run '))
        .map((line) => line.split(' ').slice(2).join(' ')),
    pids: () => lines().map((line) => Number(line.split(' ')[1])),
  };
}

describe('per-instance limits through a user systemd manager', () => {
  it('a systemctl that hangs is killed with its child at the deadline: limits are the watchdog only, and why', async () => {
    const systemctl = nvidiaSmiStandIn('hang-child', 'hang-child', 'systemctl');
    try {
      const started = Date.now();
      const enforcement = await detectEnforcement({
        cgroupRoot: fs.mkdtempSync(path.join(os.tmpdir(), 'bij-no-cgroups-')),
        ...NO_CGROUPS,
        systemctl: { command: systemctl.path, deadlineMs: 300 },
      });
      const tookMs = Date.now() - started;
      assert.equal(enforcement.info.kind, 'watchdog-only');
      assert.match(enforcement.info.reason, /no user systemd manager \(systemctl did not answer in 0\.3 s; killed\)$/);
      assert.ok(tookMs < 2000, `start-up waited ${tookMs} ms for systemctl`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(systemctl.processes(), [], 'systemctl and its child are gone');
    } finally {
      systemctl.remove();
    }
  });

  it('a stuck set-property is killed at its deadline, never multiplied, and the latest limit is the one sent next', async () => {
    const systemctl = stuckSetProperty();
    const enforcement = await detectEnforcement({
      cgroupRoot: fs.mkdtempSync(path.join(os.tmpdir(), 'bij-no-cgroups-')),
      ...NO_CGROUPS,
      systemctl: { command: systemctl.path, deadlineMs: 300 },
    });
    assert.ok(enforcement instanceof SystemdScopeEnforcement, enforcement.info.reason);
    assert.match(
      enforcement.wrapper('SUBJECT', 4e9).join(' '),
      /systemd-run --user --scope .* -p MemoryMax=4000000000/,
    );
    const limit = enforcement.attach('SUBJECT', process.pid);
    const started = Date.now();
    limit.setLimit(5e9, 0);
    limit.setLimit(6e9, 0);
    limit.setLimit(7e9, 0);
    await limit.settled();
    const tookMs = Date.now() - started;
    const sets = systemctl.runs().filter((run) => run.includes('set-property'));
    assert.equal(sets.length, 2, `one run at a time, the middle change dropped: ${sets.join(' | ')}`);
    assert.match(sets[0]!, /MemoryMax=5000000000 /);
    assert.match(sets[1]!, /MemoryMax=7000000000 MemoryHigh=\d+$/);
    assert.ok(tookMs >= 550 && tookMs < 5000, `two runs of 0.3 s each took ${tookMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(systemctl.pids().filter(alive), [], 'every systemctl and every child of one is gone');
  });
});
