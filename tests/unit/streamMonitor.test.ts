import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { MIB } from '../../shared/board.js';
import { parseNvidiaSmiCsv } from '../../electron/core/board/nvidiaSmi.js';
import { StreamMonitor } from '../../electron/core/sampler/streamMonitor.js';
import { fixturePath } from '../helpers/fixtures.js';

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
