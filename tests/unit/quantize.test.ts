import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { getLlama, GgufInsights, LlamaChatSession, readGgufFileInfo, type Llama } from 'node-llama-cpp';

import { DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import { GGML_TYPES } from '../../electron/core/gguf/ggmlTypes.js';
import { FILE_TYPES, tensorTypeFor, usesMoreBits, type FileTypeName } from '../../electron/core/gguf/quantMix.js';
import { dequantize, fromBf16, quantize, toBf16 } from '../../electron/core/gguf/quantize.js';
import { metadataNumber, readGgufHeader } from '../../electron/core/gguf/readGguf.js';

/** 1024 values: a sine with an outlier every 37th value and one all-zero 32-value block. */
function knownVector(): Float32Array {
  const x = new Float32Array(1024);
  for (let i = 0; i < x.length; i++) {
    const zero = i >= 256 && i < 288;
    x[i] = zero ? 0 : Math.sin(i * 0.37) * (i % 37 === 0 ? 3 : 0.4) + (i % 5) * 0.01;
  }
  return x;
}

/**
 * Per format: the sha256 (first 16 hex digits) of the known vector's encoding by ggml's reference quantizer, from the
 * bundled llama.cpp's ggml-quants.c (quantize_<type> without an importance matrix, compiled with gcc -O2 on x86-64),
 * and the largest error of a value after the round trip, as a share of its 32-value block's largest magnitude.
 */
const FORMATS: Array<{ type: number; reference: string; maxError: number }> = [
  { type: 2, reference: '06d318a77c1ed49f', maxError: 0.07 }, // Q4_0: half a step of max/8, and the fp16 scale
  { type: 3, reference: '996e286b4098b9df', maxError: 0.07 }, // Q4_1: half a step of range/15
  { type: 6, reference: 'c556917f8c7e900b', maxError: 0.035 }, // Q5_0: half a step of max/16
  { type: 7, reference: 'e8bb7fbc89d683cf', maxError: 0.035 }, // Q5_1: half a step of range/31
  { type: 8, reference: '6dd2dc03b17c8ad0', maxError: 0.005 }, // Q8_0: half a step of max/127
  { type: 12, reference: '38860a2e4a2e1836', maxError: 0.12 }, // Q4_K: 16 levels, 6-bit scales and minimums
  { type: 13, reference: '0bf11d9de986ecd8', maxError: 0.08 }, // Q5_K: 32 levels
  { type: 14, reference: '51c22179ba8a02a3', maxError: 0.03 }, // Q6_K: 64 levels, 8-bit scales per 16 values
  { type: 20, reference: 'bbaccba01cbbb49d', maxError: 0.1 }, // IQ4_NL: 16 non-linear levels
  { type: 23, reference: 'f8fdcdd9b32995c8', maxError: 0.11 }, // IQ4_XS: the same with 6-bit scales
];

describe('block formats', () => {
  const x = knownVector();

  for (const { type, reference, maxError } of FORMATS) {
    const { name, blockSize, typeSize } = GGML_TYPES.get(type)!;
    it(`${name}: ${typeSize} bytes per ${blockSize} values, bit for bit ggml's reference, back within ${maxError}`, () => {
      const bytes = quantize(type, x);
      assert.equal(bytes.length, (x.length / blockSize) * typeSize);
      assert.equal(createHash('sha256').update(bytes).digest('hex').slice(0, 16), reference);
      const back = dequantize(type, bytes, x.length);
      for (let block = 0; block < x.length / 32; block++) {
        const values = x.subarray(block * 32, block * 32 + 32);
        const amax = Math.max(...values.map(Math.abs));
        for (let j = 0; j < 32; j++) {
          const error = Math.abs(values[j]! - back[block * 32 + j]!);
          assert.ok(
            error <= maxError * amax + 1e-7,
            `value ${block * 32 + j}: ${values[j]} came back ${back[block * 32 + j]}`,
          );
        }
      }
    });
  }

  it('Q8_0 of a ramp: the scale is max/127 in fp16, each value its nearest step', () => {
    const ramp = new Float32Array(32).map((_, i) => (i - 16) / 16);
    const bytes = quantize(8, ramp);
    // d = 1/127 rounds to the half 0x2008; -1 is the largest magnitude, so it is exactly -127.
    assert.deepEqual([bytes[0], bytes[1]], [0x08, 0x20]);
    assert.equal((bytes[2]! << 24) >> 24, -127);
    assert.equal((bytes[2 + 16]! << 24) >> 24, 0);
    assert.equal((bytes[2 + 24]! << 24) >> 24, Math.round(0.5 * 127));
  });

  it('F16 and BF16 round to nearest even', () => {
    assert.deepEqual([...quantize(1, new Float32Array([1, -2, 65504]))], [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b]);
    assert.equal(toBf16(1), 0x3f80);
    assert.equal(toBf16(1 + 2 ** -8), 0x3f80); // halfway, to even
    assert.equal(toBf16(1 + 3 * 2 ** -8), 0x3f82); // halfway, to even (up)
    assert.equal(fromBf16(0xc0490000 >>> 16), -3.140625);
    const back = dequantize(30, quantize(30, x), x.length);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i]! - x[i]!) <= Math.abs(x[i]!) * 2 ** -8);
  });

  it('refuses values that are not whole blocks, and types it cannot write', () => {
    assert.throws(() => quantize(12, new Float32Array(100)), /not whole blocks of 256/);
    assert.throws(() => quantize(16, new Float32Array(256)), /IQ2_XXS cannot be written/);
  });
});

describe("llama-quantize's mixes", () => {
  const mix = { layers: 8, gqa: 1 };
  const typeOf = (file: FileTypeName, name: string, dims = [4096, 4096]) =>
    GGML_TYPES.get(tensorTypeFor(file, name, dims, mix))!.name;

  it('Q4_K_M: Q4_K, with Q6_K for the output and for attn_v and ffn_down in the layers use_more_bits picks', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((layer) => usesMoreBits(layer, 8)),
      [true, false, false, true, false, false, true, true],
    );
    assert.equal(typeOf('q4_k_m', 'token_embd.weight'), 'Q4_K');
    const tied = tensorTypeFor('q4_k_m', 'token_embd.weight', [4096, 4096], { ...mix, tiedEmbeddings: true });
    assert.equal(GGML_TYPES.get(tied)!.name, 'Q6_K'); // read as the output too
    assert.equal(typeOf('q4_k_m', 'output.weight'), 'Q6_K');
    assert.equal(typeOf('q4_k_m', 'blk.0.attn_v.weight'), 'Q6_K');
    assert.equal(typeOf('q4_k_m', 'blk.1.attn_v.weight'), 'Q4_K');
    assert.equal(typeOf('q4_k_m', 'blk.3.ffn_down.weight'), 'Q6_K');
    assert.equal(typeOf('q4_k_m', 'blk.4.ffn_down.weight'), 'Q4_K');
    assert.equal(typeOf('q4_k_m', 'blk.0.attn_q.weight'), 'Q4_K');
    assert.equal(typeOf('q4_k_m', 'blk.0.attn_norm.weight', [4096]), 'F32');
  });

  it('falls back where a row is not whole blocks, as llama-quantize does', () => {
    assert.equal(typeOf('q4_k_m', 'blk.1.attn_q.weight', [64, 64]), 'Q5_0');
    assert.equal(typeOf('q4_k_m', 'blk.0.attn_v.weight', [64, 64]), 'Q8_0');
    assert.equal(typeOf('q4_k_m', 'output.weight', [64, 300]), 'Q8_0');
    assert.equal(typeOf('q5_k_m', 'blk.1.attn_q.weight', [64, 64]), 'Q5_1');
    assert.equal(typeOf('iq4_xs', 'blk.1.attn_q.weight', [64, 64]), 'IQ4_NL');
    assert.equal(typeOf('q4_0', 'blk.1.attn_q.weight', [48, 64]), 'F16');
  });

  it('the other mixes: Q4_K_S, IQ4 with grouped attention, Q8_0 and F16 everywhere', () => {
    assert.equal(typeOf('q4_k_s', 'blk.3.attn_v.weight'), 'Q5_K');
    assert.equal(typeOf('q4_k_s', 'blk.4.attn_v.weight'), 'Q4_K');
    assert.equal(typeOf('q4_k_s', 'blk.0.ffn_down.weight'), 'Q5_K');
    assert.equal(
      GGML_TYPES.get(tensorTypeFor('iq4_nl', 'blk.5.attn_v.weight', [4096, 1024], { layers: 8, gqa: 4 }))!.name,
      'Q5_K',
    );
    assert.equal(typeOf('iq4_nl', 'blk.0.ffn_down.weight'), 'Q5_K');
    assert.equal(typeOf('q8_0', 'output.weight'), 'Q8_0');
    assert.equal(typeOf('q6_k', 'token_embd.weight'), 'Q6_K');
    assert.equal(typeOf('f16', 'output.weight'), 'F16');
    assert.equal(typeOf('bf16', 'blk.0.ffn_norm.weight', [4096]), 'F32');
  });
});

describe('generated quantized models in node-llama-cpp', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-quant-'));
  let llama: Llama;
  before(async () => {
    llama = await getLlama({ build: 'never', gpu: false });
  });
  after(async () => {
    await llama.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // 256 wide, so that the k-quants and IQ4_XS are themselves, not their 32-value fallbacks.
  const spec = { ...DEMO_MODEL_SPEC, embedding: 256, feedForward: 512 };
  const types: FileTypeName[] = ['f16', 'bf16', 'q8_0', 'q4_0', 'q4_k_m', 'q5_k_m', 'q6_k', 'iq4_nl', 'iq4_xs'];

  for (const type of types) {
    it(`${type}: GgufInsights sizes every tensor as written, and llama.cpp loads it and thinks in words`, async () => {
      const file = path.join(dir, `${type}.gguf`);
      generateModel(file, { ...spec, tensorType: type });
      const header = readGgufHeader(file);
      assert.equal(metadataNumber(header, 'general.file_type'), FILE_TYPES[type].fileType);
      // node-llama-cpp sums each tensor's size from llama.cpp's own block and type sizes.
      const insights = await GgufInsights.from(await readGgufFileInfo(file), llama);
      const written = header.tensors.reduce((sum, tensor) => sum + tensor.bytes!, 0);
      assert.equal(insights.estimateModelResourceRequirements({ gpuLayers: 0, useMmap: false }).cpuRam, written);
      // llama.cpp checks every tensor's size against its offsets, and refuses a file whose data does not fit.
      const model = await llama.loadModel({ modelPath: file });
      const context = await model.createContext({ contextSize: 512, threads: 1 });
      try {
        const session = new LlamaChatSession({ contextSequence: context.getSequence() });
        const text = await session.prompt('Begin your contemplation.', { maxTokens: 24 });
        assert.match(text, /[a-z]{2,}/);
        assert.ok(
          [...text].every((char) => (char >= ' ' || char === '\n') && char !== '\ufffd'),
          text,
        );
      } finally {
        await context.dispose();
        await model.dispose();
      }
    });
  }
});

describe('npm run generate-model --type', () => {
  const script = path.join(import.meta.dirname, '../../scripts/generate-model.ts');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('writes the file type asked for, as llama.cpp numbers it', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-generate-')), 'q4.gguf');
    const result = run(file, '--type', 'Q4_K_M', '--embedding', '256', '--feed-forward', '512');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /2 layers x 256, q4_k_m/);
    const header = readGgufHeader(file);
    assert.equal(metadataNumber(header, 'general.file_type'), 15);
    const types = new Set(header.tensors.map((tensor) => GGML_TYPES.get(tensor.type)!.name));
    assert.deepEqual([...types].sort(), ['F32', 'Q4_K', 'Q6_K']);
  });

  it('refuses a type it does not know, naming the ones it does', () => {
    const result = run(path.join(os.tmpdir(), 'never.gguf'), '--type', 'q3_k');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--type must be one of f32, f16, bf16, q8_0, .*iq4_xs.*, not "q3_k"/);
  });
});
