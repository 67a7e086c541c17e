import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { parseOomKills, parseProcCgroup } from '../../electron/core/enforcement/cgroupFiles.js';
import { parsePsi } from '../../electron/core/sampler/procfs.js';
import { findThermalZones, parseMillidegrees, readTemperatures } from '../../electron/core/sampler/thermal.js';
import { fixture } from '../helpers/fixtures.js';
import { recordedSysfs } from '../helpers/recordedSysfs.js';

describe('kernel files, on real recordings', () => {
  it('reads memory pressure (PSI), with or without the "full" line', () => {
    assert.deepEqual(parsePsi(fixture('recorded/psi/proc-pressure-memory-earlyoom-author-mild.txt')), {
      someAvg10: 0,
      fullAvg10: 0,
      someTotalUs: 28851712,
    });
    const stalled = parsePsi(fixture('recorded/psi/proc-pressure-memory-some-line-only-99pct-muqss-uncertain.txt'));
    assert.deepEqual(stalled, { someAvg10: 99, fullAvg10: 0, someTotalUs: 725036638 });
    assert.equal(parsePsi('no pressure here'), null);
  });

  it("counts the kernel OOM killer's kills in v1 memory.oom_control and v2 memory.events", () => {
    const kills = (name: string) => parseOomKills(fixture(`recorded/cgroup/${name}`));
    assert.equal(kills('v1-memory-oom_control-oom_kill-5-rhel8.txt'), 5);
    assert.equal(kills('v1-memory-oom_control-k8s-docker-scope-no-kills.txt'), 0);
    assert.equal(kills('v2-memory-events-after-oom-kill-no-group-kill-line.txt'), 1);
    assert.equal(kills('v2-memory-events-oom-kill-with-group-kill-and-sock-throttled.txt'), 1);
    assert.equal(kills('v2-memory-events-memory-high-throttled-no-oom.txt'), 0);
  });

  it('finds where a process sits in v1 and v2 hierarchies', () => {
    assert.deepEqual(parseProcCgroup('12:memory:/process_api/abc\n0::/\n4:cpu,cpuacct:/x\n'), {
      v1Memory: '/process_api/abc',
      v2: '/',
    });
    assert.deepEqual(parseProcCgroup('0::/user.slice/user-1000.slice/session-2.scope\n'), {
      v1Memory: null,
      v2: '/user.slice/user-1000.slice/session-2.scope',
    });
  });

  it("reads an Orin's thermal zones by their type names, in degrees", () => {
    const root = recordedSysfs('recorded/sysfs/orin-glances-test-fixture-thermal-and-gpu-load.txt');
    const zones = findThermalZones(path.join(root, 'sys/class/thermal'));
    assert.deepEqual(zones.map((zone) => zone.type).sort(), ['cpu-thermal', 'gpu-thermal', 'soc0-thermal']);
    assert.deepEqual(readTemperatures(zones), { 'cpu-thermal': 53.968, 'gpu-thermal': 51.312, 'soc0-thermal': 54.812 });
  });

  it('leaves out sensors that read -256000 (absent) and anything unreadable', () => {
    assert.equal(parseMillidegrees('-256000'), null);
    assert.equal(parseMillidegrees(''), null);
    assert.equal(parseMillidegrees('45500\n'), 45.5);
    assert.deepEqual(findThermalZones('/no/such/folder'), []);
  });
});
