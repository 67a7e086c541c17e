import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { MIB } from '../../shared/board.js';
import { HOST_QUERY_FIELDS, isGoodReading, parseNvidiaSmiCsv } from '../../electron/core/board/nvidiaSmi.js';
import { StreamMonitor, type Backoff } from '../../electron/core/sampler/streamMonitor.js';
import { killGroup } from '../../electron/core/toolProcess.js';
import { fixturePath } from '../helpers/fixtures.js';
import { nvidiaSmiStandIn, type StandIn, type StandInBehaviour } from '../helpers/gpuStandIns.js';

/**
 * A stand-in for nvidia-smi (there is no GPU here), fed with a real recording: it prints the recorded data lines at
 * the -lms rate. MODE=die exits after a few lines; MODE=hang stops printing but stays alive.
 */
function fakeNvidiaSmi(mode: 'replay' | 'die' | 'hang'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-fake-smi-'));
  const script = path.join(dir, 'nvidia-smi');
  const recording = fixturePath('recorded/nvidia-smi/tesla-t4-16gb-csv-header-units-lms100-loop.txt');
  fs.writeFileSync(
    script,
    `#!/usr/bin/env node
const fs = require('node:fs');
const lines = fs.readFileSync(${JSON.stringify(recording)}, 'utf8').split('\\n').slice(1).filter(Boolean);
const every = Number(process.argv.find((a, i, all) => all[i - 1] === '-lms') ?? 100);
let i = 0;
const timer = setInterval(() => {
  if (${JSON.stringify(mode)} === 'die' && i === 3) process.exit(1);
  if (${JSON.stringify(mode)} === 'hang' && i >= 3) return;
  process.stdout.write(lines[i++ % lines.length] + '\\n');
}, every);
`,
  );
  fs.chmodSync(script, 0o755);
  return script;
}

function monitor(command: string, staleAfterMs = 1000) {
  const seen: string[] = [];
  const statuses: string[] = [];
  const instance = new StreamMonitor({
    command,
    args: ['--query-gpu=timestamp,index,name,memory.used,memory.total', '--format=csv,noheader', '-lms', '20'],
    staleAfterMs,
    onLine: (line) => seen.push(line),
    onStatus: (status) => statuses.push(`${status.kind}: ${status.reason}`),
  });
  return { instance, seen, statuses };
}

const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('one long-running nvidia-smi, not one per sample', () => {
  it('reads every line of one process', async () => {
    const { instance, seen } = monitor(fakeNvidiaSmi('replay'));
    instance.start();
    await until(() => seen.length >= 20);
    instance.stop();
    assert.equal(instance.starts, 1);
    const fields = ['timestamp', 'index', 'name', 'memory.used', 'memory.total'];
    const gpus = seen.flatMap((line) => parseNvidiaSmiCsv(line, fields));
    assert.ok(gpus.every((gpu) => gpu.name === 'Tesla T4' && gpu.memoryTotalBytes === 15360 * MIB));
  });

  it('restarts it when it dies', async () => {
    const { instance, seen, statuses } = monitor(fakeNvidiaSmi('die'));
    instance.start();
    await until(() => instance.starts >= 2 && seen.length >= 4);
    instance.stop();
    assert.match(statuses.find((status) => status.startsWith('restarting')) ?? '', /exited \(code 1\)/);
  });

  it('restarts it when it hangs (alive but silent)', async () => {
    const { instance, statuses } = monitor(fakeNvidiaSmi('hang'), 400);
    instance.start();
    await until(() => instance.starts >= 2);
    instance.stop();
    assert.match(statuses.find((status) => status.startsWith('restarting')) ?? '', /no output for \d+ s/);
  });

  it('gives up at once when the command does not exist', async () => {
    const { instance, statuses } = monitor('/no/such/nvidia-smi');
    instance.start();
    await until(() => statuses.some((status) => status.startsWith('gave-up')));
    instance.stop();
    assert.equal(instance.starts, 1);
  });
});

describe('a broken long-running GPU tool', () => {
  const standIns: StandIn[] = [];
  after(() => {
    for (const made of standIns) {
      for (const pid of made.processes()) killGroup(pid, 'SIGKILL');
      made.remove();
    }
  });
  const broken = (
    behaviour: StandInBehaviour,
    options: { staleAfterMs?: number; backoff?: Backoff; lms?: number } = {},
  ) => {
    const tool = nvidiaSmiStandIn('good', behaviour);
    standIns.push(tool);
    const delays: number[] = [];
    const reasons: string[] = [];
    const instance = new StreamMonitor({
      command: tool.path,
      args: [
        `--query-gpu=${HOST_QUERY_FIELDS.join(',')}`,
        '--format=csv,noheader,nounits',
        '-lms',
        `${options.lms ?? 100}`,
      ],
      staleAfterMs: options.staleAfterMs ?? 600,
      backoff: options.backoff ?? { firstMs: 100, maxMs: 60_000, healthyAfterMs: 60_000 },
      onLine: (line) => isGoodReading(parseNvidiaSmiCsv(line)),
      onStatus: (status) => {
        if (status.kind !== 'restarting') return;
        delays.push(status.retryInMs!);
        reasons.push(status.reason);
      },
    });
    return { tool, instance, delays, reasons };
  };

  it('backs off the restarts of a tool that prints a line and exits, doubling', async () => {
    const { tool, instance, delays } = broken('one-line');
    instance.start();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    instance.stop();
    // 0, 0.1, 0.3, 0.7, 1.5 s (then 3.1): five starts; at a fixed 100 ms it would be about twenty.
    const starts = tool.starts().filter((start) => start.monitor);
    assert.ok(starts.length >= 4 && starts.length <= 6, `${starts.length} starts`);
    assert.deepEqual(delays.slice(0, 4), [100, 200, 400, 800]);
    const gaps = starts.slice(1).map((start, i) => start.at - starts[i]!.at);
    assert.ok(gaps[2]! > gaps[0]! * 2, `gaps ${gaps.join(', ')} ms grow`);
  });

  it('resets the back-off once a child has run healthily for a while', async () => {
    // Good lines for about 0.8 s, then silence: each child is healthy past 0.5 s, so each restart waits the first delay.
    const { instance, delays } = broken('stall', {
      lms: 200,
      staleAfterMs: 300,
      backoff: { firstMs: 100, maxMs: 60_000, healthyAfterMs: 500 },
    });
    instance.start();
    await until(() => delays.length >= 3);
    instance.stop();
    assert.deepEqual(delays.slice(0, 3), [100, 100, 100]);
  });

  it('kills the whole group of a hung tool, so no restart leaks its child', async () => {
    const { tool, instance, reasons } = broken('hang-child', { staleAfterMs: 300 });
    let most = 0;
    const counting = setInterval(() => (most = Math.max(most, tool.processes().length)), 25);
    instance.start();
    await until(() => tool.starts().filter((start) => start.monitor).length >= 3);
    instance.stop();
    clearInterval(counting);
    assert.match(reasons[0] ?? '', /^nvidia-smi gave no output for \d+ s$/);
    assert.ok(most <= 2, `at most the script and its child at once (${most})`);
    await until(() => tool.processes().length === 0);
  });

  it('marks the lines stale when the tool goes quiet, never the last ones as live', async () => {
    const { instance } = broken('stale', { staleAfterMs: 600 });
    instance.start();
    assert.equal(instance.health().state, 'waiting');
    assert.equal(instance.health().note, 'nvidia-smi has not answered yet');
    await until(() => instance.health().state === 'live');
    await until(() => instance.health().state === 'stale');
    assert.match(instance.health().note, /^nvidia-smi not answering for \d+ s$/);
    instance.stop();
  });

  it('takes garbage for no answer: stale, and restarted', async () => {
    const { instance, reasons } = broken('garbage', { staleAfterMs: 400 });
    let live = false;
    const watching = setInterval(() => (live ||= instance.health().state === 'live'), 20);
    instance.start();
    await until(() => reasons.length >= 1);
    clearInterval(watching);
    assert.equal(live, false);
    assert.match(instance.health().note, /^nvidia-smi prints no usable figures \(for \d+ s\)$/);
    assert.match(reasons[0]!, /^nvidia-smi gave no usable output for \d+ s$/);
    instance.stop();
  });
});
