import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { HostProcess } from '../helpers/hostProcess.js';

describe('the service under systemd with WatchdogSec', { timeout: 60_000 }, () => {
  it('pings systemd-notify WATCHDOG=1 while the memory watchdog samples', async () => {
    // A stand-in systemd-notify on the PATH that writes down each call; systemd itself cannot run here.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-notify-'));
    const calls = path.join(bin, 'calls.txt');
    fs.writeFileSync(path.join(bin, 'systemd-notify'), `#!/bin/sh\necho "$@" >> ${calls}\n`, { mode: 0o755 });
    const host = HostProcess.start(['--no-autostart', '--interval', '0.5'], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        NOTIFY_SOCKET: path.join(bin, 'notify.sock'),
        WATCHDOG_USEC: '1000000',
      },
    });
    try {
      await host.waitFor('host.ready');
      await host.waitUntil(
        () =>
          fs.existsSync(calls) && fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean).length >= 3
            ? true
            : undefined,
        'three watchdog pings',
        10_000,
      );
      assert.ok(
        fs
          .readFileSync(calls, 'utf8')
          .split('\n')
          .filter(Boolean)
          .every((line) => line === 'WATCHDOG=1'),
      );
    } finally {
      await host.stop();
    }
  });
});
