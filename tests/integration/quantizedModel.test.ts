import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import { GGML_TYPES } from '../../electron/core/gguf/ggmlTypes.js';
import { readGgufHeader } from '../../electron/core/gguf/readGguf.js';
import { parseCpuFeatures } from '../../electron/core/board/cpuFeatures.js';
import { cpuBuildFor } from '../../electron/core/planner/repack.js';
import { HostProcess } from '../helpers/hostProcess.js';

describe('a Q4_K_M model, as users run them, through the real host and worker', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-q4km-'));
  const model = path.join(dir, 'mind-q4_k_m.gguf');
  // 256 wide, so that the matrices are Q4_K and Q6_K themselves rather than their 32-value fallbacks.
  generateModel(model, {
    ...DEMO_MODEL_SPEC,
    name: 'Q4_K_M mind',
    embedding: 256,
    feedForward: 512,
    tensorType: 'q4_k_m',
  });
  const host = HostProcess.start(['--model', model]);
  after(async () => {
    await host.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is a Q4_K_M file: Q4_K matrices, Q6_K where llama-quantize puts more bits, F32 norms', () => {
    const types = new Set(readGgufHeader(model).tensors.map((tensor) => GGML_TYPES.get(tensor.type)!.name));
    assert.deepEqual([...types].sort(), ['F32', 'Q4_K', 'Q6_K']);
  });

  it("is planned for this machine's CPU build, saying what it repacks", async () => {
    const planned = await host.waitFor('plan.changed', (event) => event.outcome.ok);
    assert.ok(planned.outcome.ok);
    const plan = planned.outcome.plan.instances[0]!;
    const build = cpuBuildFor(parseCpuFeatures(fs.readFileSync('/proc/cpuinfo', 'utf8'), 'this machine'));
    const repacks = build.features.has('avx2') || build.features.has('dotprod');
    assert.equal(
      (plan.notes ?? []).some((note) => note.includes(`llama.cpp's ${build.variant} CPU build repacks`)),
      repacks,
      JSON.stringify(plan.notes),
    );
  });

  it('loads on the CPU and streams readable words, then finishes a reflection', async () => {
    const loaded = await host.waitFor('instance.loaded');
    assert.equal(loaded.load.backend, 'cpu');
    const tokens = await host.waitFor('instance.tokens', (event) => event.text.trim().length > 0);
    assert.match(tokens.text, /[a-z]{2,}/);
    const reflection = await host.waitFor('instance.reflection', (event) => event.record.n === 1);
    assert.ok(reflection.record.text.trim().split(/\s+/).length >= 3, reflection.record.text);
    assert.equal(host.of('instance.death').length, 0);
  });
});
