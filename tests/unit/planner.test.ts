import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { GIB, MIB, NO_GPU, type BoardResources } from '../../shared/board.js';
import type { Role } from '../../shared/instances.js';
import type { Strategy } from '../../shared/plan.js';
import { DEMO_MODEL_SPEC, generateModel, type ModelSpec } from '../../electron/core/gguf/generateModel.js';
import { validateModel } from '../../electron/core/gguf/validateModel.js';
import { checkRamBudget, defaultRamLimitBytes, defaultReserveBytes } from '../../electron/core/planner/budget.js';
import { estimateMemory } from '../../electron/core/planner/estimate.js';
import { modelProfile, type ModelProfile } from '../../electron/core/planner/modelProfile.js';
import { makePlan, type PlanRequest } from '../../electron/core/planner/planner.js';
import { jetsonPreset, seedConfig, seedThreads } from '../../electron/core/planner/seed.js';
import { board, type BoardName } from '../helpers/boards.js';

function resources(gpuMb: number | null, ramGb: number, cores = 8): BoardResources {
  return {
    ramTotalBytes: ramGb * GIB,
    ramAvailableBytes: ramGb * GIB,
    cores,
    gpu:
      gpuMb === null
        ? NO_GPU
        : {
            kind: 'nvidia',
            name: 'GPU',
            memoryTotalBytes: gpuMb * MIB,
            memoryUsedBytes: 0,
            unified: false,
            loadPercent: 0,
            count: 1,
          },
    backend: null,
    source: 'test',
  };
}

describe('seed strategy: the original configuration, exactly', () => {
  const seed = (gpuMb: number | null, ramGb = 16, aggressive = false) => {
    const { gpuLayers, contextSize, batchSize } = seedConfig(resources(gpuMb, ramGb), {
      aggressive,
      concurrentModels: 1,
    });
    return [gpuLayers, contextSize, batchSize];
  };

  it('uses the conservative tiers by GPU memory in MB, at every boundary', () => {
    assert.deepEqual(seed(16000), [25, 4096, 512]);
    assert.deepEqual(seed(15999), [15, 2048, 256]);
    assert.deepEqual(seed(8000), [15, 2048, 256]);
    assert.deepEqual(seed(7999), [8, 2048, 128]);
    assert.deepEqual(seed(4000), [8, 2048, 128]);
    assert.deepEqual(seed(3999), [0, 1024, 128]);
    assert.deepEqual(seed(null), [0, 2048, 256]);
  });

  it('uses the aggressive tiers when asked', () => {
    assert.deepEqual(seed(16000, 16, true), [35, 8192, 512]);
    assert.deepEqual(seed(15999, 16, true), [25, 4096, 512]);
    assert.deepEqual(seed(8000, 16, true), [25, 4096, 512]);
    assert.deepEqual(seed(7999, 16, true), [15, 2048, 256]);
    assert.deepEqual(seed(4000, 16, true), [15, 2048, 256]);
    assert.deepEqual(seed(3999, 16, true), [8, 2048, 128]);
  });

  it('gives threads by cores: 12 -> 6, 8 -> 4, 4 -> 2, else 1', () => {
    assert.deepEqual([16, 12, 11, 8, 7, 4, 3, 1].map(seedThreads), [6, 6, 4, 4, 2, 2, 1, 1]);
  });

  it('caps context at 1024 and batch at 128 under 8 GB of RAM, and raises context to 2048 from 32 GB', () => {
    assert.deepEqual(seed(16000, 7.9), [25, 1024, 128]);
    assert.deepEqual(seed(16000, 8), [25, 4096, 512]);
    assert.deepEqual(seed(3999, 32), [0, 2048, 128]);
    assert.deepEqual(seed(3999, 31.9), [0, 1024, 128]);
  });

  it('on a Jetson, the preset wins: 3 models -> 0 layers, 2 -> 12, 1 -> 25; context 2048, batch 256, 6 threads', () => {
    const orin = board('orin-agx-32gb');
    for (const [models, layers] of [
      [3, 0],
      [2, 12],
      [1, 25],
    ] as const) {
      assert.deepEqual(seedConfig(orin, { aggressive: true, concurrentModels: models }), {
        ...jetsonPreset(models),
        gpuLayers: layers,
        contextSize: 2048,
        batchSize: 256,
        threads: 6,
      });
    }
  });

  it("prints the original's words for the mode", () => {
    assert.equal(
      seedConfig(resources(8192, 16), { aggressive: false, concurrentModels: 1 }).mode,
      'Hybrid CPU+GPU (Conservative)',
    );
    assert.equal(
      seedConfig(resources(null, 16), { aggressive: false, concurrentModels: 1 }).mode,
      'CPU Only (No GPU detected)',
    );
  });
});

describe('RAM budget', () => {
  const orin = board('orin-agx-32gb');
  const reserve = defaultReserveBytes(orin.ramTotalBytes);

  it("keeps the larger of 2 GB and a quarter of the RAM: the original's MemoryMax=24G on 32 GB", () => {
    assert.equal(defaultReserveBytes(32 * GIB), 8 * GIB);
    assert.equal(defaultReserveBytes(4 * GIB), 2 * GIB);
  });

  it('refuses the 10/15/20 GB limits on a 32 GB Jetson, with the numbers named', () => {
    const check = checkRamBudget([10 * GIB, 15 * GIB, 20 * GIB], orin.ramTotalBytes, reserve);
    assert.deepEqual(check, {
      ok: false,
      message: 'RAM limits total 45.0 GB; this board has 29.9 GB and keeps 7.5 GB for the system, so at most 22.4 GB',
    });
    assert.deepEqual(checkRamBudget([10 * GIB, 15 * GIB, 20 * GIB], 32 * GIB, 8 * GIB), {
      ok: false,
      message: 'RAM limits total 45.0 GB; this board has 32.0 GB and keeps 8.0 GB for the system, so at most 24.0 GB',
    });
  });

  it('accepts the conservative 6/7/7 GB', () => {
    assert.deepEqual(checkRamBudget([6 * GIB, 7 * GIB, 7 * GIB], orin.ramTotalBytes, reserve), { ok: true });
  });

  it('scales the default limits (6/7/7 on 32 GB) to the board', () => {
    assert.equal(defaultRamLimitBytes('SUBJECT', 32 * GIB), 6 * GIB);
    assert.equal(defaultRamLimitBytes('GOD', 32 * GIB), 7 * GIB);
    assert.equal(defaultRamLimitBytes('SUBJECT', 8 * GIB), 1.5 * GIB);
  });
});

/** Models of several sizes: written sparse (header only), so multi-gigabyte models cost nothing. */
const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-plan-'));
function model(name: string, spec: Partial<ModelSpec>): ModelProfile {
  const file = path.join(modelDir, `${name}.gguf`);
  generateModel(file, { ...DEMO_MODEL_SPEC, name, sparse: true, vocabSize: 32000, contextLength: 8192, ...spec });
  const validation = validateModel(file);
  assert.ok(validation.ok);
  return modelProfile(file, validation.header);
}
const MODELS = {
  // ~1 GB, ~4 GB and ~7 GB: a 1.5B, a 7B and a 12B at 4-bit, shaped like the real ones.
  small: model('small-1.5b-q4', {
    layers: 28,
    embedding: 1536,
    feedForward: 8960,
    heads: 12,
    kvHeads: 2,
    tensorType: 'q4_k',
  }),
  medium: model('medium-7b-q4', {
    layers: 32,
    embedding: 4096,
    feedForward: 11008,
    heads: 32,
    kvHeads: 8,
    tensorType: 'q4_k',
  }),
  large: model('large-12b-q4', {
    layers: 48,
    embedding: 3840,
    feedForward: 15360,
    heads: 16,
    kvHeads: 8,
    tensorType: 'q4_k',
  }),
};

function request(
  name: BoardName,
  models: ModelProfile[],
  options: { strategy?: Strategy; limitsGb?: number[]; contextSize?: number } = {},
): PlanRequest {
  const resources = board(name);
  const roles: Role[] = ['SUBJECT', 'OBSERVER', 'GOD'];
  return {
    resources,
    gpuThresholdPercent: 85,
    reserveBytes: defaultReserveBytes(resources.ramTotalBytes),
    ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
    instances: models.map((profile, index) => ({
      role: roles[index]!,
      model: profile,
      ramLimitBytes: options.limitsGb
        ? options.limitsGb[index]! * GIB
        : defaultRamLimitBytes(roles[index]!, resources.ramTotalBytes),
      strategy: options.strategy ?? 'fit',
    })),
  };
}

describe('fit strategy on recorded boards', () => {
  it('puts a whole 7B on a 32 GB Orin in single mode, counting the shared pool once', () => {
    const outcome = makePlan(request('orin-agx-32gb', [MODELS.medium], { limitsGb: [12] }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const [plan] = outcome.plan.instances;
    assert.equal(plan!.gpuLayers, plan!.totalLayers);
    assert.equal(plan!.limitedBy, 'model has only 33 layers');
    assert.equal(outcome.plan.budgets.unified, true);
    // One pool: the footprint (RAM + GPU) stays inside the instance's limit and the pool budget.
    assert.ok(plan!.estimate.ramBytes + plan!.estimate.gpuBytes <= 12 * GIB);
    assert.ok(plan!.estimate.ramBytes + plan!.estimate.gpuBytes <= outcome.plan.budgets.gpuBudgetBytes!);
  });

  it('fits three models on a 32 GB Orin together inside 6/7/7 GB, where the original forced all three to the CPU', () => {
    const outcome = makePlan(
      request('orin-agx-32gb', [MODELS.small, MODELS.medium, MODELS.medium], { limitsGb: [6, 7, 7] }),
    );
    assert.ok(outcome.ok, JSON.stringify(outcome));
    let pool = 0;
    for (const plan of outcome.plan.instances) {
      const footprint = plan.estimate.ramBytes + plan.estimate.gpuBytes;
      assert.ok(footprint <= plan.ramLimitBytes, `${plan.instance} ${footprint / GIB} GB`);
      assert.ok(plan.gpuLayers > 0, `${plan.instance} offloads`);
      pool += footprint;
    }
    assert.ok(pool <= outcome.plan.budgets.gpuBudgetBytes!);
    assert.equal(outcome.plan.instances[0]!.threads, 2); // 8 cores, one for the system, shared by three
  });

  it('shrinks the context in steps of 256 before it refuses, and says so', () => {
    const outcome = makePlan(request('orin-nano-8gb', [MODELS.medium], { limitsGb: [4], contextSize: 8192 }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const [plan] = outcome.plan.instances;
    assert.ok(plan!.contextSize < 8192 && plan!.contextSize >= 512 && plan!.contextSize % 256 === 0);
    assert.match(plan!.limitedBy, /context cut to \d+ by the RAM limit/);
    const bigger = estimateMemory(MODELS.medium, {
      gpuLayers: plan!.gpuLayers,
      contextSize: plan!.contextSize + 256,
      batchSize: 512,
    });
    assert.ok(bigger.ramBytes + bigger.gpuBytes > 4 * GIB, 'the next step up would not have fit');
  });

  it('refuses a model that cannot fit its limit even with every layer on the CPU', () => {
    const outcome = makePlan(request('cpu-4gb', [MODELS.medium], { limitsGb: [1.5] }));
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'MODEL_TOO_LARGE');
    assert.match(
      outcome.error.message,
      /^SUBJECT: medium-7b-q4 needs \d+\.\d GB with every layer on the CPU and a context of \d+, more than its RAM limit of 1\.5 GB$/,
    );
  });

  it('offloads as many layers as an 8 GB card holds, and moves the rest of the weights to RAM', () => {
    const outcome = makePlan(request('discrete-8gb', [MODELS.large], { limitsGb: [10] }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const [plan] = outcome.plan.instances;
    assert.ok(plan!.gpuLayers > 0 && plan!.gpuLayers < plan!.totalLayers, `${plan!.gpuLayers} layers`);
    assert.equal(plan!.limitedBy, 'GPU budget');
    assert.ok(plan!.estimate.gpuBytes <= outcome.plan.budgets.gpuBudgetBytes!);
    const oneMore = estimateMemory(MODELS.large, {
      gpuLayers: plan!.gpuLayers + 1,
      contextSize: plan!.contextSize,
      batchSize: 512,
    });
    assert.ok(oneMore.gpuBytes > outcome.plan.budgets.gpuBudgetBytes!, 'one more layer would not fit');
  });

  it('puts a whole 7B on a 16 GB card', () => {
    const outcome = makePlan(request('discrete-16gb', [MODELS.medium], { limitsGb: [8] }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.plan.instances[0]!.gpuLayers, 33);
  });

  it('counts what others already use: a nearly full 24 GB card leaves no room', () => {
    const outcome = makePlan(request('discrete-24gb-nearly-full', [MODELS.small], { limitsGb: [8] }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.plan.budgets.gpuBudgetBytes, 0);
    assert.equal(outcome.plan.instances[0]!.gpuLayers, 0);
    assert.equal(outcome.plan.instances[0]!.limitedBy, 'GPU budget');
  });

  it('runs on the CPU alone where there is no GPU, and says why', () => {
    // The 4 GB board's Cortex-A57 build repacks nothing; the 8 GB board's CPU is unknown, so its plan counts a
    // repacked copy of every Q4_K matrix besides the mapped file, and needs the larger limit.
    for (const [name, limitGb] of [
      ['cpu-4gb', 1.6],
      ['cpu-8gb', 2.6],
    ] as const) {
      const outcome = makePlan(request(name, [MODELS.small], { limitsGb: [limitGb] }));
      assert.ok(outcome.ok, JSON.stringify(outcome));
      assert.equal(outcome.plan.instances[0]!.gpuLayers, 0);
      assert.match(outcome.plan.instances[0]!.limitedBy, /^no GPU/);
      assert.ok(outcome.plan.instances[0]!.estimate.ramBytes <= limitGb * GIB);
    }
  });

  it("says so when node-llama-cpp's build is CPU only, though the board has a GPU", () => {
    const req = request('discrete-16gb', [MODELS.small], { limitsGb: [4] });
    req.resources = { ...req.resources, backend: { backend: 'cpu', vramTotalBytes: 0, vramUsedBytes: 0, note: null } };
    const outcome = makePlan(req);
    assert.ok(outcome.ok);
    assert.equal(outcome.plan.instances[0]!.gpuLayers, 0);
    assert.match(outcome.plan.instances[0]!.limitedBy, /CPU only/);
  });

  it('shares the threads among the instances that run at once', () => {
    const one = makePlan(request('discrete-16gb', [MODELS.small], { limitsGb: [3] }));
    const three = makePlan(
      request('discrete-16gb', [MODELS.small, MODELS.small, MODELS.small], { limitsGb: [3, 3, 3] }),
    );
    assert.ok(one.ok && three.ok);
    assert.equal(one.plan.instances[0]!.threads, 7);
    assert.deepEqual(
      three.plan.instances.map((plan) => plan.threads),
      [2, 2, 2],
    );
  });

  it('refuses limits over the budget before planning anything', () => {
    const outcome = makePlan(
      request('orin-agx-32gb', [MODELS.small, MODELS.medium, MODELS.large], { limitsGb: [10, 15, 20] }),
    );
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'BUDGET_EXCEEDED');
    assert.match(outcome.error.message, /^RAM limits total 45\.0 GB; this board has 29\.9 GB/);
  });
});

describe('memory estimate', () => {
  it('puts the weights and KV cache where the layers run, and adds the compute buffers only while thinking', () => {
    const cpu = estimateMemory(MODELS.medium, { gpuLayers: 0, contextSize: 4096, batchSize: 512 });
    assert.equal(cpu.gpuBytes, 0);
    // Loaded: every weight and the whole KV cache are resident, the compute buffers are reserved but untouched.
    const loadedModel = cpu.parts.weightsRam + cpu.parts.kvRam;
    assert.ok(cpu.ramLoadedBytes > loadedModel && cpu.ramLoadedBytes < loadedModel + cpu.parts.runtime);
    assert.equal(
      cpu.ramBytes - cpu.ramLoadedBytes - cpu.parts.computeRam,
      cpu.parts.runtime - (cpu.ramLoadedBytes - loadedModel),
    );

    const half = estimateMemory(MODELS.medium, { gpuLayers: 14, contextSize: 4096, batchSize: 512 });
    assert.ok(half.parts.weightsGpu > 0 && half.parts.kvGpu > 0);
    assert.ok(half.ramLoadedBytes < cpu.ramLoadedBytes, 'offloaded layers leave the RAM');
    assert.ok(half.ramLoadedBytes < half.ramBytes);
  });
});

describe('manual and seed plans are estimated the same way', () => {
  it("checks the operator's numbers and refuses them with the field named when they do not fit", () => {
    const req = request('orin-nano-8gb', [MODELS.medium], { limitsGb: [4.5], strategy: 'manual' });
    req.instances[0]!.manual = { gpuLayers: 33, contextSize: 8192 };
    const outcome = makePlan(req);
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'PLAN_DOES_NOT_FIT');
    assert.equal(outcome.error.field, 'SUBJECT.contextSize');
    req.instances[0]!.manual = { gpuLayers: 20, contextSize: 1024 };
    const fits = makePlan(req);
    assert.ok(fits.ok, JSON.stringify(fits));
    assert.equal(fits.plan.instances[0]!.gpuLayers, 20);
    assert.equal(fits.plan.instances[0]!.contextSize, 1024);
  });

  it('keeps the seed numbers, warns when they exceed the limit, and clamps layers to the model', () => {
    const tiny = model('tiny-8-layers', {
      layers: 8,
      embedding: 512,
      feedForward: 1376,
      heads: 8,
      kvHeads: 8,
      tensorType: 'q8_0',
    });
    const req = request('discrete-24gb-nearly-full', [tiny], { limitsGb: [0.1], strategy: 'seed' });
    const outcome = makePlan(req);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const [plan] = outcome.plan.instances;
    // The A10G reports 23028 MB: the >= 16000 tier, 25 layers, context 4096, batch 512; the model has 9.
    assert.equal(plan!.gpuLayers, 9);
    assert.equal(plan!.contextSize, 4096);
    assert.equal(plan!.batchSize, 512);
    assert.equal(plan!.threads, 4);
    assert.equal(plan!.limitedBy, 'seed: Hybrid CPU+GPU (Conservative); model has only 9 layers');
    assert.match(plan!.warnings[0] ?? '', /^needs about \d+\.\d+ GB, over its RAM limit of 0\.10 GB$/);
  });
});
