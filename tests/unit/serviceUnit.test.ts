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
      ['6G', '5632M', 300],
    );
    assert.equal(defaultServiceLimits(4 * GIB, 1).cpuQuotaPercent, 100, 'never under one core');
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
