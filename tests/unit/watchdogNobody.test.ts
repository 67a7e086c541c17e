import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Watchdog, type RunnerConfig } from '../../electron/core/watchdog/watchdog.js';
import type { UnstampedEvent } from '../../shared/events.js';
import type { InstanceMetrics, MetricsFrame } from '../../shared/metrics.js';

const GIB = 2 ** 30;
const config: RunnerConfig = {
  ramThreshold: 90,
  gpuThreshold: 85,
  warnThreshold: 70,
  baseIntervalMs: 20,
  minIntervalMs: 5,
  victimPolicy: 'largest',
  timing: 'adaptive',
  spikePoints: 10,
  graceMs: 1000,
  thermalC: 85,
};

function frame(instances: InstanceMetrics[]): MetricsFrame {
  return {
    t: Date.now(),
    ramTotalBytes: 10 * GIB,
    ramUsedBytes: 9.5 * GIB,
    ramPercent: 95,
    gpu: null,
    psi: null,
    temperaturesC: {},
    intervalMs: 5,
    instances: Object.fromEntries(instances.map((one) => [one.role, one])),
  };
}

const worker = (spare: boolean): InstanceMetrics => ({
  role: 'SUBJECT',
  pid: 4242,
  rssBytes: GIB,
  rssAnonBytes: GIB,
  rssFileBytes: 0,
  vramBytes: null,
  limitBytes: 4 * GIB,
  spare,
  killable: true,
  tokensPerSecond: null,
});

describe('the watchdog over a line with nobody it may stop', () => {
  it('says the crossing once, not on every sample, and acts the moment someone may be stopped', async () => {
    const events: UnstampedEvent[] = [];
    const lines: string[] = [];
    let running: InstanceMetrics[] = [worker(true)];
    const killed: string[] = [];
    const watchdog = new Watchdog(
      {
        sample: () => frame(running),
        kill: (role) => {
          killed.push(role);
          return true;
        },
        gone: () => false,
        onFrame: () => {},
        emit: (event) => events.push(event),
        line: (text) => lines.push(text),
        config: () => config,
      },
      { kind: 'watchdog-only', label: 'watchdog only', reason: 'test' },
    );
    watchdog.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 600));
      const criticals = events.filter((event) => event.type === 'watchdog.critical');
      const samples = lines.filter((line) => line.includes('System RAM: 95.0%')).length;
      assert.ok(samples >= 10, `the watchdog kept sampling fast (${samples} samples)`);
      assert.equal(criticals.length, 1, 'one crossing said, where every sample said it before');
      assert.equal(lines.filter((line) => line.includes('no instance the watchdog may stop')).length, 1);
      assert.deepEqual(killed, []);

      running = [worker(false)];
      const deadline = Date.now() + 1000;
      while (killed.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(killed, ['SUBJECT'], 'no longer spared: stopped at once');
      assert.equal(events.filter((event) => event.type === 'watchdog.critical').length, 2);
    } finally {
      watchdog.stop();
    }
  });
});
