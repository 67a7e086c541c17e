import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { getLlama } from 'node-llama-cpp';

import { GGML_TYPES } from '../../electron/core/gguf/ggmlTypes.js';
import { buildVocabulary, DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import { metadataNumber, readGgufHeader } from '../../electron/core/gguf/readGguf.js';
import { validateModel } from '../../electron/core/gguf/validateModel.js';
import { toHalf, writeGguf } from '../../electron/core/gguf/writeGguf.js';
import { testModels } from '../helpers/models.js';

describe('GGUF', () => {
  const models = testModels();

  it('generates a model whose header reads back as written', () => {
    const header = readGgufHeader(models.good);
    assert.equal(header.version, 3);
    assert.equal(header.metadata.get('general.architecture'), 'llama');
    assert.equal(metadataNumber(header, 'llama.block_count'), DEMO_MODEL_SPEC.layers);
    assert.equal(metadataNumber(header, 'llama.attention.head_count'), DEMO_MODEL_SPEC.heads);
    assert.equal(header.tensors.length, 2 + 9 * DEMO_MODEL_SPEC.layers + 1);
    const last = header.tensors.at(-1)!;
    assert.equal(header.dataOffset + last.offset + last.bytes!, header.fileSize);
  });

  it('generates the same bytes for the same spec', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-gguf-'));
    generateModel(path.join(dir, 'a.gguf'), DEMO_MODEL_SPEC);
    generateModel(path.join(dir, 'b.gguf'), DEMO_MODEL_SPEC);
    assert.ok(fs.readFileSync(path.join(dir, 'a.gguf')).equals(fs.readFileSync(path.join(dir, 'b.gguf'))));
  });

  it('has a byte-level vocabulary: every byte has its own token', () => {
    const { tokens, types } = buildVocabulary();
    for (let byte = 0; byte < 256; byte++) {
      const index = tokens.indexOf(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
      assert.ok(index >= 0 && types[index] === 6, `byte ${byte}`);
    }
  });

  it('accepts the good model', () => {
    const result = validateModel(models.good);
    assert.ok(result.ok);
    assert.equal(result.check.architecture, 'llama');
    assert.equal(result.check.blockCount, 2);
  });

  const refusals: Array<[keyof typeof models, string, RegExp]> = [
    ['missing', 'missing', /no such file/],
    ['directory', 'not-a-file', /is a directory/],
    ['notGguf', 'not-gguf', /not a GGUF model \(it starts with "Thes"/],
    ['truncated', 'truncated', /past the end of the file .* incomplete/],
    ['truncatedHeader', 'truncated', /more than the file can hold\. The file is incomplete/],
    ['headCountZero', 'bad-metadata', /llama\.attention\.head_count is 0; llama\.cpp would abort/],
  ];
  for (const [kind, problem, reason] of refusals) {
    it(`refuses a ${kind} file, naming the file and the reason`, () => {
      const file = models[kind];
      const result = validateModel(file);
      assert.ok(!result.ok);
      assert.equal(result.problem, problem);
      assert.ok(result.message.includes(path.resolve(file)), result.message);
      assert.match(result.message, reason);
    });
  }

  it('refuses a header cut in the middle of a value', () => {
    const file = path.join(models.dir, 'cut-string.gguf');
    writeGguf(file, [['general.name', { type: 'string', value: 'x'.repeat(100) }]], []);
    fs.truncateSync(file, 60); // 24 bytes of counts, the key, then 60 - 51 bytes of the 100-byte name
    const result = validateModel(file);
    assert.ok(!result.ok);
    assert.match(result.message, /the file ends inside the header \(reading .* at byte \d+ of 60\)/);
  });

  it('refuses absurd counts without allocating them', () => {
    const file = path.join(models.dir, 'absurd.gguf');
    const header = Buffer.alloc(24);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(3, 4);
    header.writeBigUInt64LE(1n << 40n, 8);
    header.writeBigUInt64LE(1n << 40n, 16);
    fs.writeFileSync(file, header);
    const result = validateModel(file);
    assert.ok(!result.ok && result.problem === 'truncated', JSON.stringify(result));
  });

  it('converts to half precision like IEEE 754 (round to nearest even)', () => {
    assert.equal(toHalf(0), 0);
    assert.equal(toHalf(1), 0x3c00);
    assert.equal(toHalf(-2), 0xc000);
    assert.equal(toHalf(65504), 0x7bff);
    assert.equal(toHalf(1e6), 0x7c00);
    assert.equal(toHalf(2 ** -24), 0x0001);
    assert.equal(toHalf(0.1), 0x2e66);
    assert.equal(toHalf(1 + 2 ** -11), 0x3c00); // halfway, rounds to even
    assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02); // halfway, rounds to even (up)
  });

  it('knows the block and type sizes that llama.cpp itself reports', async () => {
    const llama = await getLlama({ build: 'never', gpu: false });
    const bindings = (llama as unknown as { _bindings: Record<string, (type: number) => number | undefined> })
      ._bindings;
    for (const [type, info] of GGML_TYPES) {
      assert.equal(bindings.getBlockSizeForGgmlType!(type), info.blockSize, `${info.name} block size`);
      assert.equal(bindings.getTypeSizeForGgmlType!(type), info.typeSize, `${info.name} type size`);
    }
    await llama.dispose();
  });
});

describe('npm run generate-model', () => {
  const script = path.join(import.meta.dirname, '../../scripts/generate-model.ts');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('writes a model of the size asked for, that the validator accepts, into a new folder', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-generate-')), 'new/bigger.gguf');
    const result = run(file, '--layers', '3', '--embedding', '128');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /3 layers x 128/);
    const check = validateModel(file);
    assert.ok(check.ok, JSON.stringify(check));
    assert.equal(check.check.blockCount, 3);
  });

  it('writes another architecture when asked, and refuses one it cannot write', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-generate-'));
    const result = run(path.join(dir, 'qwen.gguf'), '--architecture', 'qwen3');
    assert.equal(result.status, 0, result.stderr);
    const check = validateModel(path.join(dir, 'qwen.gguf'));
    assert.ok(check.ok && check.check.architecture === 'qwen3', JSON.stringify(check));
    const refused = run(path.join(dir, 'mamba.gguf'), '--architecture', 'mamba');
    assert.equal(refused.status, 2);
    assert.match(
      refused.stderr,
      /--architecture must be one of llama, qwen2, qwen3, gemma2, gemma3, phi3, not "mamba"/,
    );
  });

  it('refuses a bad size with the flag named, and writes nothing', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-generate-')), 'bad.gguf');
    const result = run(file, '--layers', 'x');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--layers must be a whole number above 0, not "x"/);
    assert.equal(fs.existsSync(file), false);
  });
});
