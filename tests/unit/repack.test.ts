import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { GIB, MIB } from '../../shared/board.js';
import { parseCpuFeatures } from '../../electron/core/board/cpuFeatures.js';
import { DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import { GGML_TYPES } from '../../electron/core/gguf/ggmlTypes.js';
import { validateModel } from '../../electron/core/gguf/validateModel.js';
import { defaultReserveBytes } from '../../electron/core/planner/budget.js';
import { estimateMemory } from '../../electron/core/planner/estimate.js';
import { modelProfile, type ModelProfile } from '../../electron/core/planner/modelProfile.js';
import { makePlan } from '../../electron/core/planner/planner.js';
import { cpuBuildFor, repackLayout, type CpuBuild } from '../../electron/core/planner/repack.js';
import { placeWeights, type WeightTensor } from '../../electron/core/planner/weights.js';
import { board } from '../helpers/boards.js';
import { fixture } from '../helpers/fixtures.js';

const cpu = (name: string) => parseCpuFeatures(fixture(`recorded/cpuinfo/${name}.txt`), name);
const ORIN = cpuBuildFor(cpu('orin-devkit-lscpu-11cpus'));
const HASWELL = cpuBuildFor(cpu('xeon-e5-2660v3-haswell-one-processor'));
const WESTMERE = cpuBuildFor(cpu('xeon-e5620-westmere-one-processor'));
const GB10 = cpuBuildFor(cpu('gb10-dgx-spark-one-processor'));
const A57 = cpuBuildFor(cpu('jetson-nano-cortex-a57'));
const typeId = (name: string) => [...GGML_TYPES].find(([, info]) => info.name === name)![0];

describe("the CPU's features, from recordings", () => {
  it('reads the ARM Features line, the x86 flags line and lscpu, keeping what every core has', () => {
    const orin = cpu('orin-devkit-lscpu-11cpus')!;
    assert.equal(orin.arch, 'aarch64');
    assert.ok(orin.flags.includes('asimddp') && !orin.flags.includes('i8mm'));
    const haswell = cpu('xeon-e5-2660v3-haswell-one-processor')!;
    assert.equal(haswell.arch, 'x86_64');
    assert.ok(haswell.flags.includes('avx2') && !haswell.flags.includes('avx512f'));
    const mixed = parseCpuFeatures(
      'processor\t: 0\nFeatures\t: fp asimd asimddp\n\nprocessor\t: 1\nFeatures\t: fp asimd\n',
      'two',
    );
    assert.deepEqual(mixed?.flags, ['fp', 'asimd']);
    assert.equal(parseCpuFeatures('MemTotal: 1 kB\n', 'not cpuinfo'), null);
  });

  it("picks the ggml CPU build that node-llama-cpp's binaries load, by ggml's scores", () => {
    assert.deepEqual(
      [ORIN, HASWELL, WESTMERE, GB10, A57].map((build) => build.variant),
      ['armv8.2_2', 'haswell', 'sse42', 'armv8.6_2', 'armv8.0_1'],
    );
    assert.deepEqual([...ORIN.features].sort(), ['dotprod', 'neon']);
    assert.deepEqual([...HASWELL.features], ['avx2']);
    assert.deepEqual([...GB10.features].sort(), ['dotprod', 'i8mm', 'neon', 'sve']);
    assert.equal(cpuBuildFor(null).known, false);
    const zen4 = cpuBuildFor({
      arch: 'x86_64',
      flags:
        'sse4_2 avx f16c fma avx2 bmi2 avx512f avx512cd avx512vl avx512dq avx512bw avx512vbmi avx512_vnni avx512_bf16'.split(
          ' ',
        ),
      source: 'zen4',
    });
    assert.equal(zen4.variant, 'zen4');
  });
});

describe('which weights llama.cpp repacks (ggml-cpu/repack.cpp)', () => {
  const matrix = (type: string, rows = 4096) => ({ type: typeId(type), dims: [4096, rows], op: 'mul_mat' as const });
  const repacks = (build: CpuBuild) =>
    ['Q4_0', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0', 'IQ4_NL', 'IQ4_XS', 'Q2_K', 'F16', 'F32'].filter(
      (type) => repackLayout(build, matrix(type)) !== null,
    );

  it('x86 with AVX2: Q4_0, Q4_K and IQ4_NL; Q2_K only with AVX-512; nothing without AVX2', () => {
    assert.deepEqual(repacks(HASWELL), ['Q4_0', 'Q4_K', 'IQ4_NL']);
    assert.equal(repackLayout(HASWELL, matrix('Q4_K')), 'q4_K_8x8');
    assert.deepEqual(repacks({ ...HASWELL, features: new Set(['avx2', 'avx512']) }), [
      'Q4_0',
      'Q4_K',
      'IQ4_NL',
      'Q2_K',
    ]);
    assert.deepEqual(repacks(WESTMERE), []);
  });

  it('ARM with dot product (the Orin): Q4_0, Q4_K, Q5_K, Q6_K, Q8_0 and IQ4_NL; with i8mm the 8x8 layouts', () => {
    assert.deepEqual(repacks(ORIN), ['Q4_0', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0', 'IQ4_NL']);
    assert.equal(repackLayout(ORIN, matrix('Q4_K')), 'q4_K_8x4');
    assert.equal(repackLayout(GB10, matrix('Q4_K')), 'q4_K_8x8');
    assert.equal(repackLayout(GB10, matrix('Q8_0')), 'q8_0_4x8');
    assert.deepEqual(repacks(A57), []);
  });

  it('only matrix-multiplication weights whose row count fits the interleave', () => {
    assert.equal(repackLayout(HASWELL, matrix('Q4_K', 12)), null); // 8 rows at a time
    assert.equal(repackLayout(ORIN, matrix('Q4_0', 12)), 'q4_0_4x4'); // 4 at a time
    assert.equal(repackLayout(HASWELL, { ...matrix('Q4_K'), op: 'other' }), null); // token_embd: get_rows
    assert.equal(repackLayout(HASWELL, { type: typeId('Q4_K'), dims: [4096, 4096, 8], op: 'mul_mat' }), null);
    assert.equal(repackLayout(HASWELL, { type: typeId('Q4_K'), dims: [4096, 4096, 8], op: 'mul_mat_id' }), 'q4_K_8x8');
  });

  it('an unknown CPU takes every rule of every build: an upper bound', () => {
    assert.deepEqual(repacks(cpuBuildFor(null)), ['Q4_0', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_0', 'IQ4_NL', 'Q2_K']);
  });
});

describe('weights placed for a plan', () => {
  const weight = (name: string, layer: WeightTensor['layer'], offset: number, type = 'Q4_K'): WeightTensor => ({
    name,
    layer,
    type: typeId(type),
    dims: [256, 256],
    offset,
    bytes: 100,
    op: name.startsWith('token_embd') ? 'other' : 'mul_mat',
  });
  const weights = [
    weight('token_embd.weight', 'input', 0),
    weight('blk.0.attn_q.weight', 0, 100),
    weight('blk.0.attn_v.weight', 0, 200, 'Q6_K'),
    weight('blk.1.attn_q.weight', 1, 300),
    weight('output.weight', 'output', 400, 'Q6_K'),
  ];

  it('counts a repacked weight twice when its file pages lie inside the mapped span, once when outside', () => {
    const x86 = placeWeights(weights, { firstGpuLayer: 2, output: false }, (w) => repackLayout(HASWELL, w));
    assert.equal(x86.repackedBytes, 200); // the two Q4_K matrices
    assert.equal(x86.mappedBytes, 500); // token_embd .. output: everything stays mapped
    // On the Orin the Q6_K matrices repack too: only token_embd is used from the mapping, and the file after it is
    // unmapped once loaded.
    const arm = placeWeights(weights, { firstGpuLayer: 2, output: false }, (w) => repackLayout(ORIN, w));
    assert.equal(arm.repackedBytes, 400);
    assert.equal(arm.mappedBytes, 100);
  });

  it('repacks nothing with a GPU backend loaded, and counts only the CPU-side weights', () => {
    const placed = placeWeights(weights, { firstGpuLayer: 1, output: true }, null);
    assert.deepEqual(placed, {
      mappedBytes: 300,
      repackedBytes: 0,
      gpuBytes: 200,
      workBytesPerToken: 256 * (292 / 256),
    });
  });
});

describe('the estimate for an ARM board and an x86 one differ as the rules say', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-repack-'));
  const file = path.join(dir, 'q4km.gguf');
  generateModel(file, {
    ...DEMO_MODEL_SPEC,
    name: '7B-like Q4_K_M',
    sparse: true,
    vocabSize: 32000,
    layers: 32,
    embedding: 4096,
    feedForward: 11008,
    heads: 32,
    kvHeads: 8,
    tensorType: 'q4_k_m',
  });
  const validation = validateModel(file);
  assert.ok(validation.ok);
  const profile = modelProfile(file, validation.header);
  const bytesOf = (type: string) =>
    profile.weights!.filter((w) => w.op === 'mul_mat' && w.type === typeId(type)).reduce((s, w) => s + w.bytes, 0);
  const cpuOnly = { gpuLayers: 0, contextSize: 2048, batchSize: 512 };
  const on = (build: CpuBuild): ModelProfile => ({ ...profile, cpu: build });

  it('Haswell copies the Q4_K matrices; the Orin also the Q6_K ones; Westmere nothing', () => {
    const westmere = estimateMemory(on(WESTMERE), cpuOnly);
    const haswell = estimateMemory(on(HASWELL), cpuOnly);
    const orin = estimateMemory(on(ORIN), cpuOnly);
    assert.equal(westmere.parts.weightsRepacked, 0);
    assert.equal(haswell.parts.weightsRepacked, bytesOf('Q4_K'));
    // The Q6_K output is the file's last tensor: repacked on the Orin, its pages leave the mapped span.
    const output = profile.weights!.find((w) => w.name === 'output.weight')!;
    assert.equal(orin.parts.weightsRepacked, bytesOf('Q4_K') + bytesOf('Q6_K'));
    assert.equal(orin.ramBytes - haswell.ramBytes, bytesOf('Q6_K') - output.bytes);
    assert.ok(haswell.ramBytes - westmere.ramBytes > 2.5 * GIB, 'about a second copy of the 7B');
  });

  it('a plan for the recorded Orin says what its CPU build repacks; with GPU layers nothing is repacked', () => {
    const resources = board('orin-agx-32gb');
    const request = (gpuLayers: number) => ({
      resources,
      gpuThresholdPercent: 85,
      reserveBytes: defaultReserveBytes(resources.ramTotalBytes),
      instances: [
        {
          role: 'SUBJECT' as const,
          model: profile,
          ramLimitBytes: 16 * GIB,
          strategy: 'manual' as const,
          manual: { gpuLayers, contextSize: 2048 },
        },
      ],
    });
    const cpuPlan = makePlan(request(0));
    assert.ok(cpuPlan.ok, JSON.stringify(cpuPlan));
    const notes = cpuPlan.plan.instances[0]!.notes!;
    assert.match(notes.join('\n'), /llama\.cpp's armv8\.2_2 CPU build repacks \d+(\.\d)? GB of weights/);
    const gpuPlan = makePlan(request(33));
    assert.ok(gpuPlan.ok, JSON.stringify(gpuPlan));
    assert.match(gpuPlan.plan.instances[0]!.notes!.join('\n'), /not measured \(no GPU where this was built\)/);
    assert.ok(gpuPlan.plan.instances[0]!.estimate.ramBytes < 1024 * MIB);
  });
});
