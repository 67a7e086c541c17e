import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import type { HostSnapshot } from '../../shared/api.js';
import { readMeminfo } from '../../electron/core/sampler/procfs.js';
import { HostProcess, isAlive, isGone } from '../helpers/hostProcess.js';
import { WsClient } from '../helpers/wsClient.js';

const hog = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/hogWorker.mjs');
const MB = 2 ** 20;
/** As on this machine and CI: root, cgroup v1's memory controller. Elsewhere the lines are polled. */
const v1Root = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && process.getuid?.() === 0;

function hogHost(args: string[], env: Record<string, string>): HostProcess {
  return HostProcess.start(['--resurrect-delay', '30', ...args], {
    env: { BRAIN_IN_JAR_WORKER_SCRIPT: hog, ...env },
  });
}

async function snapshotOf(host: HostProcess): Promise<{ client: WsClient; snapshot: HostSnapshot }> {
  const client = await WsClient.connect((await host.waitFor('host.ready')).url);
  const reply = await client.call('host.snapshot', {});
  assert.ok(reply.ok);
  return { client, snapshot: reply.result as HostSnapshot };
}

describe(
  'lines the kernel watches (cgroup v1 usage thresholds, read off the main thread)',
  { timeout: 120_000 },
  () => {
    it("a worker crossing its own limit is signaled on the kernel's notification, and recorded as a ram-limit death", async () => {
      // Polled every 10 s at most: a kill within moments of the crossing can only be the kernel's notification.
      const host = hogHost(['--interval', '10', '--ram-limit-subject', '0.3'], {
        BIJ_HOG_BASE_MB: '60',
        BIJ_HOG_RATE_MBPS: '200',
        BIJ_HOG_MAX_MB: '800',
      });
      const { client, snapshot } = await snapshotOf(host);
      try {
        const lines = Object.fromEntries(snapshot.watchdog.lines.map((hold) => [hold.line, hold.label]));
        if (!v1Root) {
          assert.match(lines['instance-limits']!, /^polling every 10000 ms/);
          return;
        }
        assert.equal(lines['instance-limits'], 'kernel threshold (cgroup v1 eventfd)');
        assert.equal(lines['ram-threshold'], 'kernel threshold (cgroup v1 eventfd)');
        assert.match(lines['gpu-threshold']!, /^polling every 10000 ms \(10 ms near the line\)/);
        const { pid } = await host.waitFor('instance.loaded');
        const kill = await host.waitFor('watchdog.kill', () => true, 30_000);
        assert.deepEqual(
          [kill.instance, kill.reason, kill.signal, kill.pid, kill.by],
          ['SUBJECT', 'ram-limit', 'SIGTERM', pid, 'cgroup-v1-eventfd'],
        );
        const line = 0.3 * 2 ** 30 * 0.95;
        const over = kill.memoryBytes! - line;
        assert.ok(over < 16 * MB, `signaled ${(over / MB).toFixed(1)} MB past its line: ${JSON.stringify(kill)}`);
        const death = await host.waitFor('instance.death', () => true, 10_000);
        assert.deepEqual([death.instance, death.cause, death.pid], ['SUBJECT', 'ram-limit', pid]);
        assert.ok(!isAlive(pid));
      } finally {
        client.close();
        await host.stop();
      }
    });

    it('holds the RAM line while the host is blocked for 2 s: within 64 MB of it, and no other instance dies', async () => {
      const mark = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-block-')), 'blocked');
      const host = hogHost(['--mode', 'matrix', '--interval', '0.5'], {
        BIJ_HOG_BASE_MB: '40',
        BIJ_HOG_RATE_MBPS_SUBJECT: '1000',
        BIJ_HOG_MAX_MB_SUBJECT: '3000',
        BIJ_HOG_GO_FILE: mark,
        BRAIN_IN_JAR_TEST_BLOCK_MS: '2000',
        BRAIN_IN_JAR_TEST_BLOCK_MARK: mark,
      });
      const { client, snapshot } = await snapshotOf(host);
      try {
        const pids = new Map<string, number>();
        await host.waitUntil(
          () => {
            for (const event of host.of('instance.loaded')) pids.set(event.instance, event.pid);
            return pids.size === 3 ? true : undefined;
          },
          'three instances loaded',
          60_000,
        );
        const before = readMeminfo();
        const lineBytes = before.totalBytes - before.availableBytes + 150 * MB;
        const threshold = (lineBytes / before.totalBytes) * 100;
        const set = await client.call('settings.set', { ramThreshold: threshold, warnThreshold: threshold - 0.5 });
        assert.ok(set.ok, JSON.stringify(set));
        // Let a sample place the kernel's line where the new threshold is.
        await host.waitFor('watchdog.thresholds', () => true, 10_000);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        let peak = 0;
        const watch = setInterval(() => {
          const now = readMeminfo();
          peak = Math.max(peak, now.totalBytes - now.availableBytes);
        }, 2);
        const from = host.events.length;
        process.kill(host.pid, 'SIGUSR2');
        const subject = pids.get('SUBJECT')!;
        const deadline = Date.now() + 10_000;
        while (!fs.existsSync(mark) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
        const blockedAt = Number(fs.readFileSync(mark, 'utf8'));
        while (!isGone(subject) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
        const goneAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 300));
        clearInterval(watch);
        if (!v1Root) {
          // Polling waits for the loop: the hog outlives the block.
          assert.ok(goneAt - blockedAt >= 1900, `gone ${goneAt - blockedAt} ms into the block`);
          return;
        }
        const kills = () => JSON.stringify(host.events.slice(from).filter((event) => event.type === 'watchdog.kill'));
        assert.ok(goneAt - blockedAt < 1500, `SUBJECT gone ${goneAt - blockedAt} ms into the 2 s block: ${kills()}`);
        assert.ok(
          peak - lineBytes <= 64 * MB,
          `the board peaked ${((peak - lineBytes) / MB).toFixed(1)} MB past the line`,
        );
        const kill = await host.waitFor('watchdog.kill', () => true, 10_000, from);
        assert.deepEqual([kill.instance, kill.reason, kill.by], ['SUBJECT', 'ram-threshold', 'cgroup-v1-eventfd']);
        const death = await host.waitFor('instance.death', () => true, 10_000, from);
        assert.deepEqual([death.instance, death.cause], ['SUBJECT', 'ram-threshold']);
        await new Promise((resolve) => setTimeout(resolve, 500));
        for (const role of ['OBSERVER', 'GOD']) {
          assert.ok(isAlive(pids.get(role)!), `${role} still runs`);
          assert.equal(host.of('instance.death').filter((event) => event.instance === role).length, 0);
        }
        assert.equal(
          snapshot.watchdog.lines.find((hold) => hold.line === 'ram-threshold')?.mechanism,
          'cgroup-v1-eventfd',
        );
      } finally {
        client.close();
        await host.stop();
      }
    });
  },
);
