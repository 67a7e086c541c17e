import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { HostSnapshot } from '../../shared/api.js';
import type { InstancePlan } from '../../shared/plan.js';
import { generateModel, DEMO_MODEL_SPEC } from '../../electron/core/gguf/generateModel.js';
import { fixturePath } from '../helpers/fixtures.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { cli } from '../helpers/cli.js';
import { testModels } from '../helpers/models.js';
import { WsClient } from '../helpers/wsClient.js';

describe('planning from the command line, on a recorded Jetson', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-cli-'));
  const model = path.join(dir, 'mistral-7b-like-q4.gguf');
  generateModel(model, {
    ...DEMO_MODEL_SPEC,
    name: '7B-like',
    sparse: true,
    vocabSize: 32000,
    contextLength: 8192,
    layers: 32,
    embedding: 4096,
    feedForward: 11008,
    heads: 32,
    kvHeads: 8,
    tensorType: 'q4_k',
  });
  const orin = [
    '--tegrastats',
    fixturePath('recorded/tegrastats/orin-agx-32gb-jp5format-8cpus-from-script-comment.txt'),
    '--cores',
    '8',
  ];

  it('doctor --json describes the board as one pool and recommends the Jetson preset', async () => {
    const result = await cli(['doctor', '--json', ...orin]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      resources: {
        gpu: { kind: string; unified: boolean; memoryTotalBytes: number };
        ramTotalBytes: number;
        cores: number;
      };
      recommended: { single: { gpuLayers: number }; matrix: { gpuLayers: number } };
    };
    assert.equal(report.resources.gpu.kind, 'jetson');
    assert.equal(report.resources.gpu.unified, true);
    assert.equal(report.resources.gpu.memoryTotalBytes, report.resources.ramTotalBytes);
    assert.equal(report.resources.cores, 8);
    assert.equal(report.recommended.single.gpuLayers, 25);
    assert.equal(report.recommended.matrix.gpuLayers, 0);
  });

  it("doctor prints the report in the original's shape", async () => {
    const result = await cli(['doctor', ...orin]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /\[ModelConfig\] System Resources/);
    assert.match(result.stdout, /System RAM: 29\.9 GB/);
    assert.match(result.stdout, /CPU Cores: 8/);
    assert.match(
      result.stdout,
      /\[ModelConfig\] Recommended Configuration \(matrix mode, 3 models\):\n\s+Context Window: 2048\n\s+Batch Size: 256\n\s+CPU Threads: 6\n\s+GPU Layers: 0/,
    );
  });

  it('plan --json fits three 7B models with 6/7/7 GB on the 32 GB Orin, all on the GPU', async () => {
    const result = await cli([
      'plan',
      '--json',
      '--mode',
      'matrix',
      '--model',
      model,
      '--ram-limit-subject',
      '6',
      '--ram-limit-observer',
      '7',
      '--ram-limit-god',
      '7',
      ...orin,
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const body = JSON.parse(result.stdout) as { instances: InstancePlan[] };
    assert.deepEqual(
      body.instances.map((plan) => plan.instance),
      ['SUBJECT', 'OBSERVER', 'GOD'],
    );
    for (const plan of body.instances) {
      assert.equal(plan.strategy, 'fit');
      assert.equal(plan.gpuLayers, 33);
      assert.equal(plan.totalLayers, 33);
      assert.ok(plan.estimate.gpuBytes + plan.estimate.ramBytes <= plan.ramLimitBytes);
      assert.equal(plan.useMmap, true);
      assert.equal(plan.useMlock, false);
      assert.ok(plan.limitedBy.length > 0);
    }
  });

  it('plan refuses 10/15/20 GB on the 32 GB Orin with the numbers and the flags, and exit code 2', async () => {
    const result = await cli([
      'plan',
      '--json',
      '--mode',
      'matrix',
      '--model',
      model,
      '--ram-limit-subject',
      '10',
      '--ram-limit-observer',
      '15',
      '--ram-limit-god',
      '20',
      ...orin,
    ]);
    assert.equal(result.code, 2);
    const body = JSON.parse(result.stdout) as { error: { code: string; message: string; flags: string[] } };
    assert.equal(body.error.code, 'BUDGET_EXCEEDED');
    assert.deepEqual(body.error.flags, ['--ram-limit-subject', '--ram-limit-observer', '--ram-limit-god', '--mode']);
    assert.equal(
      body.error.message,
      '--ram-limit-subject, --ram-limit-observer, --ram-limit-god, --mode: ' +
        'RAM limits total 45.0 GB; this board has 29.9 GB and keeps 7.5 GB for the system, so at most 22.4 GB',
    );
  });

  it('plan with the seed strategy gives the Jetson preset for three models', async () => {
    const result = await cli(['plan', '--json', '--mode', 'matrix', '--model', model, '--strategy', 'seed', ...orin]);
    assert.equal(result.code, 0, result.stdout);
    const body = JSON.parse(result.stdout) as { instances: InstancePlan[] };
    assert.ok(
      body.instances.every(
        (plan) => plan.gpuLayers === 0 && plan.contextSize === 2048 && plan.batchSize === 256 && plan.threads === 6,
      ),
    );
  });

  it('service prints a user unit under the limits scaled to the board, and refuses limits over it', async () => {
    const result = await cli(['service', '--mode', 'matrix', '--data-dir', '/srv/jar', ...orin]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ExecStart=\S+ \S+headless\.js run --data-dir \/srv\/jar --mode matrix$/m);
    // 30622 MB of RAM, a 32 GB board as sold: the original's 24G and 22G in whole GiB (not 22966M / 21052M of the
    // MemTotal); 8 cores: 400%.
    assert.match(result.stdout, /^MemoryMax=24G$/m);
    assert.match(result.stdout, /^MemoryHigh=22G$/m);
    assert.match(result.stdout, /^CPUQuota=400%$/m);
    const over = await cli(['service', '--memory-max', '64', ...orin]);
    assert.equal(over.code, 2);
    assert.match(over.stderr, /--memory-max \(64\.0 GB\) is more than this board's RAM \(29\.9 GB\)/);
    const inverted = await cli(['service', '--memory-max', '10', '--memory-high', '12', ...orin]);
    assert.equal(inverted.code, 2);
    assert.match(inverted.stderr, /--memory-high \(12\.0 GB\) must not exceed --memory-max \(10\.0 GB\)/);
  });

  it('doctor says which enforcement of the per-instance limits is live, and why', async () => {
    const result = await cli(['doctor', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { enforcement } = JSON.parse(result.stdout) as {
      enforcement: { kind: string; label: string; reason: string };
    };
    assert.ok(['kernel cgroup v2', 'kernel cgroup v1', 'systemd scope', 'watchdog only'].includes(enforcement.label));
    assert.ok(enforcement.reason.length > 10);
    const writableV1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && process.getuid?.() === 0;
    if (writableV1) assert.equal(enforcement.label, 'kernel cgroup v1');
  });

  it('doctor says which mechanism holds each line', async () => {
    const json = await cli(['doctor', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const { lines } = JSON.parse(json.stdout) as { lines: Array<{ line: string; mechanism: string; label: string }> };
    assert.deepEqual(
      lines.map((hold) => hold.line),
      ['instance-limits', 'ram-threshold', 'gpu-threshold'],
    );
    // doctor runs no watchdog: the interval is the default one.
    assert.equal(lines[2]!.label, 'polling every 2000 ms (10 ms near the line)');
    const writableV1 = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && process.getuid?.() === 0;
    if (writableV1) assert.equal(lines[0]!.label, 'kernel threshold (cgroup v1 eventfd)');
    const text = await cli(['doctor']);
    assert.match(
      text.stdout,
      /^ {2}The ram-threshold line is held by: (kernel threshold \(cgroup v1 eventfd\)|polling)/m,
    );
  });

  it('plan refuses bad input with the field or file named', async () => {
    const letters = await cli(['plan', '--model', model, '--ram-limit-subject', 'six']);
    assert.equal(letters.code, 2);
    assert.match(letters.stderr, /--ram-limit-subject must be a number between 0\.1 GB and 4096 GB \(got "six"\)/);
    const noModel = await cli(['plan', ...orin]);
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /give a model: --model PATH/);
    const badModel = await cli(['plan', '--json', '--model', testModels().headCountZero, ...orin]);
    assert.equal(badModel.code, 2);
    assert.match(JSON.parse(badModel.stdout).error.message, /^--model: \S+head-count-zero\.gguf: .*head_count is 0/);
  });
});

describe('the host plans before anything loads, and loads exactly the plan', { timeout: 120_000 }, () => {
  const models = testModels();
  let host: HostProcess;
  let client: WsClient;
  before(async () => {
    host = HostProcess.start([
      '--model',
      models.good,
      '--strategy',
      'manual',
      '--gpu-layers',
      '0',
      '--context',
      '1024',
    ]);
    client = await WsClient.connect((await host.waitFor('host.ready')).url);
  });
  after(async () => {
    client.close();
    await host.stop();
  });

  it('announces the plan, and the worker loads with those values', async () => {
    const planned = await host.waitFor('plan.changed', (event) => event.outcome.ok);
    assert.ok(planned.outcome.ok);
    const plan = planned.outcome.plan.instances[0]!;
    assert.equal(plan.strategy, 'manual');
    assert.equal(plan.contextSize, 1024);
    const { load } = await host.waitFor('instance.loaded');
    assert.equal(load.contextSize, plan.contextSize);
    assert.equal(load.batchSize, plan.batchSize);
    assert.equal(load.gpuLayers, plan.gpuLayers);
    assert.equal(load.useMmap, plan.useMmap);
  });

  it('re-plans when the operator switches strategy, and keeps the change in settings.json', async () => {
    const from = host.events.length;
    const result = await client.call('settings.set', { strategies: { SUBJECT: 'fit' } });
    assert.ok(result.ok, JSON.stringify(result));
    const replanned = await host.waitFor('plan.changed', () => true, 10_000, from);
    assert.ok(replanned.outcome.ok && replanned.outcome.plan.instances[0]!.strategy === 'fit');
    // --context 1024 is also where the fit starts; the model's own context is 2048.
    assert.equal(replanned.outcome.plan.instances[0]!.contextSize, 1024);
    const saved = JSON.parse(fs.readFileSync(path.join(host.dataDir, 'settings.json'), 'utf8')) as {
      strategies: object;
    };
    assert.deepEqual(saved.strategies, { SUBJECT: 'fit' });
  });

  it('refuses limits over the board, and changes nothing', async () => {
    const before = fs.readFileSync(path.join(host.dataDir, 'settings.json'), 'utf8');
    const result = await client.call('settings.set', { ramLimitsGb: { SUBJECT: 4000 } });
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'BUDGET_EXCEEDED');
    assert.match(
      result.error.message,
      /^RAM limits total 4000\.0 GB; this board has \d+\.\d GB and keeps \d+\.\d GB for the system, so at most/,
    );
    assert.equal(fs.readFileSync(path.join(host.dataDir, 'settings.json'), 'utf8'), before);
    const snapshot = await client.call('host.snapshot', {});
    assert.ok(snapshot.ok && (snapshot.result as HostSnapshot).settings.settings.ramLimitsGb.SUBJECT === undefined);
  });

  it('refuses out-of-range and non-numeric values with the field named', async () => {
    const cases: Array<[unknown, string]> = [
      [{ gpuThreshold: 150 }, 'gpuThreshold'],
      [{ gpuThreshold: 'high' }, 'gpuThreshold'],
      [{ manual: { SUBJECT: { gpuLayers: -1, contextSize: 2048 } } }, 'manual.SUBJECT.gpuLayers'],
      [{ manual: { SUBJECT: { gpuLayers: 0, contextSize: 100 } } }, 'manual.SUBJECT.contextSize'],
      [{ strategies: { SUBJECT: 'yolo' } }, 'strategies.SUBJECT'],
      [{ models: { SUBJECT: models.notGguf } }, 'models.SUBJECT'],
    ];
    for (const [patch, field] of cases) {
      const result = await client.call('settings.set', patch);
      assert.ok(!result.ok, JSON.stringify(patch));
      assert.equal(result.error.field, field, JSON.stringify(result.error));
    }
  });
});

describe('settings survive a restart, and a damaged file is kept aside', { timeout: 120_000 }, () => {
  it('loads the saved strategy on the next start', async () => {
    const first = HostProcess.start(['--no-autostart']);
    const client = await WsClient.connect((await first.waitFor('host.ready')).url);
    assert.ok((await client.call('settings.set', { strategies: { SUBJECT: 'seed' }, gpuThreshold: 80 })).ok);
    client.close();
    await first.stop();
    const second = HostProcess.start(['--no-autostart'], { dataDir: first.dataDir });
    try {
      const planned = await second.waitFor('plan.changed');
      assert.ok(planned.outcome.ok);
      assert.equal(planned.outcome.plan.instances[0]!.strategy, 'seed');
    } finally {
      await second.stop();
    }
  });

  it('keeps a corrupt settings.json as a backup, loads the defaults, and says so', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-data-'));
    fs.writeFileSync(path.join(dataDir, 'settings.json'), '{"gpuThreshold": 85, "strat');
    const host = HostProcess.start(['--no-autostart'], { dataDir });
    try {
      const warning = await host.waitFor('log', (event) => /settings\.json was damaged/.test(event.message));
      assert.match(warning.message, /kept as .*settings\.json\.corrupt-/);
      const backups = fs.readdirSync(dataDir).filter((name) => name.startsWith('settings.json.corrupt-'));
      assert.equal(backups.length, 1);
      assert.equal(fs.readFileSync(path.join(dataDir, backups[0]!), 'utf8'), '{"gpuThreshold": 85, "strat');
      const client = await WsClient.connect((await host.waitFor('host.ready')).url);
      const snapshot = await client.call('host.snapshot', {});
      assert.ok(snapshot.ok);
      assert.match((snapshot.result as HostSnapshot).settings.notice ?? '', /damaged/);
      client.close();
    } finally {
      await host.stop();
    }
  });
});
