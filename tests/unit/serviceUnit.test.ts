import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { GIB } from '../../shared/board.js';
import {
  defaultServiceLimits,
  installUnit,
  renderServiceUnit,
  systemdSize,
  userUnitPath,
} from '../../electron/core/cli/serviceUnit.js';

describe('the systemd user unit', () => {
  it("has the original's limits on a 32 GB, 12-core board: MemoryMax=24G, MemoryHigh=22G, CPUQuota=600%", () => {
    const limits = defaultServiceLimits(32 * GIB, 12);
    assert.deepEqual(
      [systemdSize(limits.memoryMaxBytes), systemdSize(limits.memoryHighBytes), limits.cpuQuotaPercent],
      ['24G', '22G', 600],
    );
  });

  it('scales them to the board it runs on', () => {
    const small = defaultServiceLimits(8 * GIB, 6);
    assert.deepEqual(
      [systemdSize(small.memoryMaxBytes), systemdSize(small.memoryHighBytes), small.cpuQuotaPercent],
      ['6G', '5G', 300],
    );
    assert.equal(defaultServiceLimits(4 * GIB, 1).cpuQuotaPercent, 100, 'never under one core');
  });

  it("writes a real board's limits as an operator would: whole GiB from the board's size as sold, half its cores", () => {
    // A 32 GB AGX Orin 8-core module reports about 31.4 GiB: scaling that gave 24146M / 22134M.
    const agx = defaultServiceLimits(32_967_339 * 1024, 8);
    assert.deepEqual(
      [systemdSize(agx.memoryMaxBytes), systemdSize(agx.memoryHighBytes), agx.cpuQuotaPercent],
      ['24G', '22G', 400],
    );
    // The recorded 8 GB Orin Nano (MemTotal 7802736 kB), 6 cores.
    const nano = defaultServiceLimits(7_802_736 * 1024, 6);
    assert.deepEqual([systemdSize(nano.memoryMaxBytes), systemdSize(nano.memoryHighBytes)], ['6G', '5G']);
    // A size that is no board's (a 24 GiB VM) is taken as it is, still rounded down to whole GiB.
    const vm = defaultServiceLimits(24.6 * GIB, 2);
    assert.deepEqual([systemdSize(vm.memoryMaxBytes), systemdSize(vm.memoryHighBytes)], ['18G', '16G']);
  });

  it('renders a unit that restarts the host and fences it', () => {
    const text = renderServiceUnit({
      command: ['/usr/bin/node', '/opt/brain in a jar/dist/electron/headless.js', 'run', '--mode', 'matrix'],
      limits: defaultServiceLimits(32 * GIB, 12),
      electron: false,
    });
    assert.match(
      text,
      /^ExecStart=\/usr\/bin\/node "\/opt\/brain in a jar\/dist\/electron\/headless\.js" run --mode matrix$/m,
    );
    assert.match(text, /^Restart=always$/m);
    assert.match(text, /^WatchdogSec=60$/m);
    assert.match(text, /^NotifyAccess=all$/m);
    assert.match(text, /^MemoryMax=24G$/m);
    assert.match(text, /^MemoryHigh=22G$/m);
    assert.match(text, /^CPUQuota=600%$/m);
    assert.match(text, /^WantedBy=default\.target$/m);
    assert.doesNotMatch(text, /ELECTRON_RUN_AS_NODE/);
  });

  it('installs into the user systemd folder', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-home-'));
    const file = userUnitPath(home, {});
    assert.equal(file, path.join(home, '.config', 'systemd', 'user', 'brain-in-jar.service'));
    installUnit('[Unit]\n', file);
    assert.equal(fs.readFileSync(file, 'utf8'), '[Unit]\n');
  });
});
