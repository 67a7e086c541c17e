import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { HostSnapshot } from '../../shared/api.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { WsClient } from '../helpers/wsClient.js';

/**
 * One client sending many calls at once must not stall the others (nor the watchdog, on the same event loop), and
 * calls that change the same thing end in the state the last one asked for.
 */
describe('bursts of calls from one client', { timeout: 180_000 }, () => {
  it('300 settings.set calls: another client is answered within 200 ms throughout, and the file has the last value', async (t) => {
    const host = HostProcess.start(['--no-autostart']);
    const url = (await host.waitFor('host.ready')).url;
    const writer = await WsClient.connect(url);
    const reader = await WsClient.connect(url);
    try {
      // Warm both paths once, so that the first call's compilation is not measured.
      assert.ok((await writer.call('settings.set', { graceS: 3 })).ok);
      assert.ok((await reader.call('host.snapshot', {})).ok);
      const values = Array.from({ length: 300 }, (_, index) => 1 + (index % 50) / 10);
      values[values.length - 1] = 4.2;
      let done = false;
      const burst = Promise.all(values.map((graceS) => writer.call('settings.set', { graceS }))).finally(() => {
        done = true;
      });
      const latencies: number[] = [];
      while (!done) {
        const started = performance.now();
        const snapshot = await reader.call('host.snapshot', {});
        latencies.push(performance.now() - started);
        assert.ok(snapshot.ok);
      }
      const replies = await burst;
      assert.ok(
        replies.every((reply) => reply.ok),
        JSON.stringify(replies.find((reply) => !reply.ok)),
      );
      const slowest = Math.max(...latencies);
      t.diagnostic(
        `${latencies.length} snapshots of another client answered during the burst, slowest ${slowest.toFixed(0)} ms`,
      );
      assert.ok(slowest < 200, `another client waited ${slowest.toFixed(0)} ms`);
      const saved = JSON.parse(fs.readFileSync(path.join(host.dataDir, 'settings.json'), 'utf8')) as {
        graceS: number;
      };
      assert.equal(saved.graceS, 4.2, 'the last value is the one on disk');
      const view = await reader.call('settings.get', {});
      assert.ok(view.ok && (view.result as HostSnapshot['settings']).settings.graceS === 4.2);
      assert.deepEqual(
        fs.readdirSync(host.dataDir).filter((name) => name.endsWith('.tmp')),
        [],
        'no temporary file is left',
      );
    } finally {
      writer.close();
      reader.close();
      await host.stop();
    }
  });

  it('a burst of alternating mode.switch calls runs them in order and ends in the last mode asked for', async () => {
    const host = HostProcess.start(['--no-autostart']);
    const client = await WsClient.connect((await host.waitFor('host.ready')).url);
    try {
      const asked = ['matrix', 'single', 'matrix', 'single', 'matrix', 'single'] as const;
      const from = host.events.length;
      const replies = await Promise.all(asked.map((mode) => client.call('mode.switch', { mode })));
      replies.forEach((reply, index) => {
        assert.ok(reply.ok, JSON.stringify(reply));
        assert.equal((reply.result as { mode: string }).mode, asked[index], `reply ${index} is its own switch's`);
      });
      assert.deepEqual(
        host.events.slice(from).flatMap((event) => (event.type === 'host.mode' ? [event.mode] : [])),
        [...asked],
        'each switch applied after the one before, in the order sent',
      );
      const snapshot = await client.call('host.snapshot', {});
      assert.ok(snapshot.ok);
      const { mode, instances } = snapshot.result as HostSnapshot;
      assert.equal(mode, 'single');
      assert.deepEqual(
        instances.map((instance) => instance.instance),
        ['SUBJECT'],
      );
      const saved = JSON.parse(fs.readFileSync(path.join(host.dataDir, 'settings.json'), 'utf8')) as { mode: string };
      assert.equal(saved.mode, 'single');
    } finally {
      client.close();
      await host.stop();
    }
  });
});
