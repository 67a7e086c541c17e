import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import type { HostSnapshot } from '../../shared/api.js';
import { HostProcess, isAlive } from '../helpers/hostProcess.js';
import { recordedSysfs } from '../helpers/recordedSysfs.js';
import { WsClient } from '../helpers/wsClient.js';

const hog = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/hogWorker.mjs');

/** A host whose instances are memory hogs: real processes, supervised as any worker, at known fill rates. */
function hogHost(args: string[], hogEnv: Record<string, string>): HostProcess {
  return HostProcess.start(['--resurrect-delay', '0.3', '--interval', '0.5', ...args], {
    env: { BRAIN_IN_JAR_WORKER_SCRIPT: hog, ...hogEnv },
  });
}

async function connect(host: HostProcess): Promise<WsClient> {
  return WsClient.connect((await host.waitFor('host.ready')).url);
}

describe('the watchdog, with real worker processes', { timeout: 180_000 }, () => {
  it('stops an instance whose limit the operator lowers under its use, and brings it back once it fits again', async () => {
    // The hog holds 200 MB; the plan's model (the demo model) needs about 0.12 GB at the least, so 0.15 GB is a limit
    // the host takes and the hog is over.
    const host = hogHost([], { BIJ_HOG_BASE_MB: '200' });
    const client = await connect(host);
    try {
      const { pid } = await host.waitFor('instance.loaded');
      const from = host.events.length;
      // Under what the model needs at the least, a limit is refused: it would only ever kill (issue 15).
      const refused = await client.call('settings.set', { ramLimitsGb: { SUBJECT: 0.1 } });
      assert.ok(!refused.ok && refused.error.code === 'MODEL_TOO_LARGE', JSON.stringify(refused));
      assert.match(refused.error.message, /^SUBJECT's RAM limit of 0\.10 GB is below the 0\.\d+ GB its model needs/);
      assert.ok((await client.call('settings.set', { ramLimitsGb: { SUBJECT: 0.15 } })).ok);
      const critical = await host.waitFor('watchdog.critical', () => true, 10_000, from);
      assert.equal(critical.reason, 'ram-limit');
      assert.equal(critical.instance, 'SUBJECT');
      const kill = await host.waitFor('watchdog.kill', () => true, 10_000, from);
      assert.deepEqual([kill.instance, kill.reason, kill.signal, kill.pid], ['SUBJECT', 'ram-limit', 'SIGTERM', pid]);
      assert.ok(kill.memoryBytes! > 0.15 * 2 ** 30 * 0.95);
      const death = await host.waitFor('instance.death', () => true, 10_000, from);
      assert.equal(death.cause, 'ram-limit');
      assert.equal(death.signal, 'SIGTERM');

      const raised = host.events.length;
      assert.ok((await client.call('settings.set', { ramLimitsGb: { SUBJECT: 1 } })).ok);
      const back = await host.waitFor('instance.loaded', () => true, 15_000, raised);
      assert.notEqual(back.pid, pid);
    } finally {
      client.close();
      await host.stop();
    }
  });

  it('kills a worker that ignores SIGTERM with SIGKILL after the grace', async () => {
    const host = hogHost(['--grace', '0.5'], { BIJ_HOG_BASE_MB: '200', BIJ_HOG_IGNORE_SIGTERM: '1' });
    const client = await connect(host);
    try {
      const { pid } = await host.waitFor('instance.loaded');
      const from = host.events.length;
      assert.ok((await client.call('settings.set', { ramLimitsGb: { SUBJECT: 0.15 } })).ok);
      const term = await host.waitFor('watchdog.kill', (event) => event.signal === 'SIGTERM', 10_000, from);
      const kill = await host.waitFor('watchdog.kill', (event) => event.signal === 'SIGKILL', 10_000, from);
      const waited = host.arrivalOf(kill) - host.arrivalOf(term);
      assert.ok(waited >= 450 && waited < 2000, `SIGKILL came ${waited} ms after SIGTERM (grace 0.5 s)`);
      const death = await host.waitFor('instance.death', () => true, 10_000, from);
      assert.deepEqual([death.cause, death.signal, death.pid], ['ram-limit', 'SIGKILL', pid]);
      assert.ok(!isAlive(pid));
    } finally {
      client.close();
      await host.stop();
    }
  });

  it('kills nobody for a spike that recovers within one sample', async () => {
    const spikeFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-spike-')), 'target-mb');
    const host = hogHost([], {
      BIJ_HOG_BASE_MB: '40',
      BIJ_HOG_SPIKE_FILE: spikeFile,
      BIJ_HOG_SPIKE_HOLD_MS: '10',
      BIJ_HOG_SPIKE_EVERY_MS: '150',
    });
    const client = await connect(host);
    try {
      const loaded = await host.waitFor('instance.loaded');
      const { pid } = loaded;
      // A limit whose watchdog line (95%) sits 30 MB above what the instance holds now; spikes go just past that
      // line and stay under the kernel's (the limit itself), then fall back. Now is once loaded: the watchdog samples
      // from the host's start, so an earlier frame may show the worker before it took its memory.
      const rss = (
        await host.waitFor(
          'metrics.frame',
          (event) => event.frame.instances.SUBJECT !== undefined,
          undefined,
          host.events.indexOf(loaded),
        )
      ).frame.instances.SUBJECT!.rssBytes;
      const line = rss + 30 * 2 ** 20;
      const limitGb = line / 0.95 / 2 ** 30;
      const set = await client.call('settings.set', { ramLimitsGb: { SUBJECT: limitGb } });
      assert.ok(set.ok, JSON.stringify(set));
      const from = host.events.length;
      fs.writeFileSync(spikeFile, String((line + 3 * 2 ** 20) / 2 ** 20));
      const recovered = await host.waitFor('watchdog.recovered', () => true, 60_000, from);
      assert.equal(recovered.reason, 'ram-limit');
      assert.equal(recovered.instance, 'SUBJECT');
      assert.ok(host.of('watchdog.critical').length >= 1, 'the watchdog saw the spike');
      assert.equal(
        host.of('watchdog.kill').length,
        0,
        `and killed nobody: ${JSON.stringify(host.of('watchdog.kill'))}`,
      );
      assert.equal(host.of('instance.death').length, 0);
      assert.ok(isAlive(pid));
      const log = fs.readFileSync(path.join(host.dataDir, 'logs', 'watchdog.log'), 'utf8');
      assert.match(log, /\[GPU Watchdog\] ⚠️ {2}CRITICAL: SUBJECT at \d+\.\d+ GB, at its limit of \d+\.\d+ GB/);
      assert.match(log, /\[GPU Watchdog\] Recovered on re-read \(ram-limit SUBJECT\): nobody killed/);
    } finally {
      client.close();
      await host.stop();
    }
  });

  it('stops only the instance that outgrows its limit: the others keep their PIDs', async () => {
    const host = hogHost(['--mode', 'matrix', '--ram-limit-subject', '0.4'], {
      BIJ_HOG_BASE_MB: '60',
      BIJ_HOG_RATE_MBPS_SUBJECT: '40',
      BIJ_HOG_MAX_MB_SUBJECT: '1000',
    });
    try {
      const pids = new Map<string, number>();
      await host.waitUntil(
        () => {
          for (const event of host.of('instance.loaded'))
            if (!pids.has(event.instance)) pids.set(event.instance, event.pid);
          return pids.size === 3 ? true : undefined;
        },
        'three instances loaded',
        60_000,
      );
      const kill = await host.waitFor('watchdog.kill', () => true, 60_000);
      assert.equal(kill.instance, 'SUBJECT');
      assert.equal(kill.reason, 'ram-limit');
      const death = await host.waitFor('instance.death');
      assert.equal(death.instance, 'SUBJECT');
      assert.equal(death.cause, 'ram-limit');
      for (const role of ['OBSERVER', 'GOD']) {
        assert.ok(isAlive(pids.get(role)!), `${role} still runs`);
        assert.equal(host.of('instance.death').filter((event) => event.instance === role).length, 0);
      }
    } finally {
      await host.stop();
    }
  });

  it('leaves a spared worker to the kernel, which kills it at its limit: recorded as kernel-oom', async () => {
    const host = hogHost(['--spare-subject', '--ram-limit-subject', '0.3'], {
      BIJ_HOG_BASE_MB: '60',
      BIJ_HOG_RATE_MBPS: '150',
      BIJ_HOG_MAX_MB: '800',
    });
    const client = await connect(host);
    try {
      const snapshot = await client.call('host.snapshot', {});
      assert.ok(snapshot.ok);
      const enforcement = (snapshot.result as HostSnapshot).watchdog.enforcement;
      const cgroupWritable = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && process.getuid?.() === 0;
      if (cgroupWritable) {
        // As on the CI machines: root, cgroup v1.
        assert.equal(enforcement.label, 'kernel cgroup v1');
        const death = await host.waitFor('instance.death', () => true, 30_000);
        assert.equal(death.cause, 'kernel-oom');
        assert.equal(death.signal, 'SIGKILL');
        assert.equal(host.of('watchdog.kill').length, 0, 'the watchdog spared it');
        assert.match(
          fs.readFileSync(path.join(host.dataDir, 'logs', 'crash_reports.log'), 'utf8'),
          /CRASH #1: KERNEL_OOM SUBJECT/,
        );
      } else {
        // Without a kernel limit nothing stops a spared instance but the board's thresholds: it grows past its limit.
        assert.equal(enforcement.label, 'watchdog only');
        assert.ok(enforcement.reason.length > 0);
        await host.waitFor(
          'metrics.frame',
          (event) => (event.frame.instances.SUBJECT?.rssBytes ?? 0) > 0.4 * 2 ** 30,
          30_000,
        );
        assert.equal(host.of('watchdog.kill').length, 0);
      }
    } finally {
      client.close();
      await host.stop();
    }
  });

  it('holds a start while memory is above the warn level, and says why', async () => {
    const host = hogHost(['--no-autostart', '--warn-threshold', '1', '--ram-threshold', '99'], {});
    const client = await connect(host);
    try {
      await host.waitFor('watchdog.started');
      await host.waitFor('watchdog.samples');
      assert.ok((await client.call('instances.start', {})).ok);
      const held = await host.waitFor('instance.held', (event) => event.reason !== null);
      assert.match(held.reason!, /memory at \d+\.\d%, above the warn level of 1%/);
      await host.waitFor('instance.state', (event) => event.state === 'waiting');
      assert.equal(host.of('instance.loaded').length, 0);
      const from = host.events.length;
      assert.ok((await client.call('settings.set', { warnThreshold: 80 })).ok);
      await host.waitFor('instance.loaded', () => true, 15_000, from);
    } finally {
      client.close();
      await host.stop();
    }
  });

  it("pauses generation above the thermal threshold and resumes 5 C under it (an Orin's recorded zones)", async () => {
    const sysfs = recordedSysfs('recorded/sysfs/orin-glances-test-fixture-thermal-and-gpu-load.txt');
    const host = HostProcess.start(['--think-pause', '0', '--thermal-threshold', '54', '--interval', '0.3'], {
      env: { BRAIN_IN_JAR_THERMAL_DIR: path.join(sysfs, 'sys/class/thermal') },
    });
    const client = await connect(host);
    try {
      // soc0-thermal reads 54.8 C: over 54, so nothing is asked of the mind.
      const paused = await host.waitFor('watchdog.thermal', (event) => event.thermal.paused);
      assert.deepEqual(paused.thermal.hottest, { zone: 'soc0-thermal', temperatureC: 54.812 });
      await host.waitFor('instance.loaded');
      const frame = await host.waitFor('metrics.frame', (event) => event.frame.instances.SUBJECT !== undefined);
      assert.equal(frame.frame.temperaturesC['cpu-thermal'], 53.968);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(host.of('instance.reflection').length, 0, 'no reflection while too hot');
      // A threshold of 60 C: 54.8 C is more than 5 C under it, so generation resumes.
      const from = host.events.length;
      assert.ok((await client.call('settings.set', { thermalC: 60 })).ok);
      const resumed = await host.waitFor('watchdog.thermal', (event) => !event.thermal.paused, 10_000, from);
      assert.equal(resumed.thermal.thresholdC, 60);
      await host.waitFor('instance.reflection', () => true, 20_000, from);
      const log = fs.readFileSync(path.join(host.dataDir, 'logs', 'watchdog.log'), 'utf8');
      assert.match(log, /\[Thermal Watchdog\] ⚠️ {2}soc0-thermal at 54\.8C \(threshold 54C\): generation paused/);
    } finally {
      client.close();
      await host.stop();
    }
  });

  it('refuses thresholds out of range, or a warn level above a threshold, with the field named', async () => {
    const host = hogHost(['--no-autostart'], {});
    const client = await connect(host);
    try {
      for (const [patch, field] of [
        [{ ramThreshold: 0 }, 'ramThreshold'],
        [{ ramThreshold: 101 }, 'ramThreshold'],
        [{ warnThreshold: 'seventy' }, 'warnThreshold'],
        [{ warnThreshold: 95 }, 'warnThreshold'],
        [{ intervalS: 0 }, 'intervalS'],
        [{ graceS: -1 }, 'graceS'],
      ] as const) {
        const result = await client.call('settings.set', patch);
        assert.ok(!result.ok, JSON.stringify(patch));
        assert.equal(result.error.field, field);
      }
      const from = host.events.length;
      assert.ok((await client.call('settings.set', { ramThreshold: 80 })).ok);
      const changed = await host.waitFor('settings.changed', () => true, 5000, from);
      assert.deepEqual(changed.changed, ['ramThreshold']);
      assert.equal(changed.settings.ramThreshold, 80);
    } finally {
      client.close();
      await host.stop();
    }
  });
});
