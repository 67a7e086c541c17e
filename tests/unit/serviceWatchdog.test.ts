import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pingIntervalMs, ServiceWatchdog, systemdNotify } from '../../electron/core/serviceWatchdog.js';
import { nvidiaSmiStandIn } from '../helpers/gpuStandIns.js';

describe("systemd's watchdog for the service", () => {
  it('pings at half the interval systemd asks for, and only when it is asked of this process', () => {
    assert.equal(pingIntervalMs({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '60000000' }), 30_000);
    assert.equal(pingIntervalMs({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '60000000', WATCHDOG_PID: '1' }, 2), null);
    assert.equal(pingIntervalMs({ WATCHDOG_USEC: '60000000' }), null, 'not under systemd');
    assert.equal(pingIntervalMs({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: 'soon' }), null);
  });

  it('does not ping while the host is wedged, and never runs two pings at once', async () => {
    let healthy = false;
    const sent: string[] = [];
    let release: () => void = () => undefined;
    const watchdog = new ServiceWatchdog({
      intervalMs: 20,
      healthy: () => healthy,
      notify: (state) => {
        sent.push(state);
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    watchdog.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(sent, [], 'wedged: no ping, so systemd restarts it');
    healthy = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(sent, ['WATCHDOG=1'], 'a stuck systemd-notify is not multiplied');
    release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    watchdog.stop();
    assert.ok(sent.length >= 2);
  });

  it('kills a systemd-notify that hangs at its deadline, with the child it started, and says so', async () => {
    const notify = nvidiaSmiStandIn('hang-child', 'hang-child', 'systemd-notify');
    try {
      const started = Date.now();
      const outcome = await systemdNotify('WATCHDOG=1', { command: notify.path, deadlineMs: 300 });
      const tookMs = Date.now() - started;
      assert.equal(outcome.kind, 'failed');
      assert.match(
        outcome.kind === 'failed' ? outcome.reason : '',
        /^systemd-notify did not answer in 0\.3 s; killed$/,
      );
      assert.ok(tookMs < 2000, `answered after ${tookMs} ms`);
      // Both ignored SIGTERM: the script and its child are gone only because their whole group got SIGKILL.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(notify.starts().length, 1);
      assert.deepEqual(notify.processes(), [], 'no process of it is left');
    } finally {
      notify.remove();
    }
  });
});
