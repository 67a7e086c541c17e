import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import type { WorkerConfig, WorkerMessage } from '../../electron/worker/protocol.js';
import { HostProcess } from '../helpers/hostProcess.js';
import { testModels } from '../helpers/models.js';

/** No death loop from a context too small for the prompts: refused before any load, or planned to fit. */
describe('matrix mode on models with 512-token contexts', { timeout: 180_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-context-fit-'));
  const short = path.join(dir, 'short-context.gguf');
  generateModel(short, { ...DEMO_MODEL_SPEC, name: 'short context', contextLength: 512 });

  it('refuses a model whose own context is 512 before anything loads, naming the context; no deaths', async () => {
    const host = HostProcess.start(['--mode', 'matrix', '--model', short]);
    try {
      const errors = await host.waitUntil(() => {
        const all = host.of('instance.error');
        return all.length >= 3 ? all : undefined;
      }, 'all three refused');
      for (const { error } of errors) {
        assert.equal(error.code, 'CONTEXT_TOO_SMALL');
        assert.match(
          error.message,
          /^SUBJECT: a context of 512 tokens cannot hold its prompts \(\d+ tokens needed with a 128-token reflection, counted with its vocabulary\); the model allows at most 512: choose a model with a longer context$/,
        );
      }
      const planned = host.of('plan.changed').at(-1)!;
      assert.ok(!planned.outcome.ok && planned.outcome.error.code === 'CONTEXT_TOO_SMALL');
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      assert.equal(host.of('instance.death').length, 0, 'never a death');
      assert.equal(host.of('instance.state').filter((event) => event.state === 'loading').length, 0, 'no load');
      assert.equal(host.exited, null);
    } finally {
      await host.stop();
    }
  });

  it('asked for 512 with a model that allows more, runs all three with contexts that hold their prompts', async () => {
    const host = HostProcess.start(['--mode', 'matrix', '--model', testModels().good, '--context', '512']);
    try {
      const planned = await host.waitFor('plan.changed', (event) => event.outcome.ok);
      assert.ok(planned.outcome.ok);
      for (const plan of planned.outcome.plan.instances) {
        assert.ok(plan.contextSize > 512 && plan.contextSize >= plan.prompts!.neededContext, plan.instance);
        assert.match(plan.limitedBy, /context raised to \d+ to hold the prompts/);
      }
      for (const role of ['SUBJECT', 'OBSERVER', 'GOD'] as const) {
        const { load } = await host.waitFor('instance.loaded', (event) => event.instance === role, 60_000);
        assert.ok(load.promptFit, `${role} reports what its context must hold`);
        assert.ok(load.contextSize >= load.promptFit.neededContext, `${role}: ${JSON.stringify(load.promptFit)}`);
        await host.waitFor('instance.reflection', (event) => event.instance === role && event.record.complete, 60_000);
      }
      assert.equal(host.of('instance.death').length, 0);
    } finally {
      await host.stop();
    }
  });

  it('the worker itself refuses a context that cannot hold the prompts, with the kind and the numbers', async () => {
    const worker = fork(path.join(import.meta.dirname, '../../electron/worker/main.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const messages: WorkerMessage[] = [];
    worker.on('message', (message) => messages.push(message as WorkerMessage));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    const config: WorkerConfig = {
      instance: 'GOD',
      modelPath: testModels().good,
      demo: true,
      deaths: 0,
      plan: { gpuLayers: 0, contextSize: 512, batchSize: 512, threads: 1, useMmap: true, useMlock: false },
      generation: { maxTokens: 48, temperature: 0.7, tokenBatchMs: 50 },
      memories: [],
    };
    worker.send({ seq: 1, kind: 'init', config });
    assert.equal(await exited, 3);
    const fatal = messages.find((message) => message.kind === 'fatal');
    assert.ok(fatal && fatal.kind === 'fatal', JSON.stringify(messages.map((message) => message.kind)));
    assert.equal(fatal.phase, 'load');
    assert.equal(fatal.failure, 'context-too-small', 'a failure that will repeat: not a death');
    assert.equal(fatal.contextTokens?.context, 512);
    assert.ok(fatal.contextTokens && fatal.contextTokens.needed > 512, JSON.stringify(fatal.contextTokens));
    assert.match(fatal.error.message, /^The context \(512 tokens\) cannot hold GOD's prompts: \d+ tokens are needed/);
    assert.equal(messages.filter((message) => message.kind === 'loaded').length, 0);
  });
});
