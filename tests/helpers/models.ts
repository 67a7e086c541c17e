import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEMO_MODEL_SPEC, generateModel, type ModelSpec } from '../../electron/core/gguf/generateModel.js';
import { writeGguf } from '../../electron/core/gguf/writeGguf.js';

/**
 * The model files the tests need, generated once per test process into a temporary folder: a good one, and one of
 * each kind of bad file the host must refuse before it reaches llama.cpp.
 */
export interface TestModels {
  dir: string;
  good: string;
  missing: string;
  directory: string;
  notGguf: string;
  truncated: string;
  truncatedHeader: string;
  headCountZero: string;
  /** An architecture llama.cpp does not know: refused before loading. */
  unknownArchitecture: string;
  /** Valid to our checks, but llama.cpp refuses it (its head count does not match its rope size): the load fails. */
  rejectedByLlama: string;
}

let cached: TestModels | null = null;

export function testModels(): TestModels {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-models-'));
  const good = path.join(dir, 'good.gguf');
  generateModel(good, DEMO_MODEL_SPEC);

  const truncated = path.join(dir, 'truncated.gguf');
  const bytes = fs.readFileSync(good);
  fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.7)));

  const truncatedHeader = path.join(dir, 'truncated-header.gguf');
  fs.writeFileSync(truncatedHeader, bytes.subarray(0, 200));

  const headCountZero = path.join(dir, 'head-count-zero.gguf');
  generateModel(headCountZero, { ...DEMO_MODEL_SPEC, headCountInMetadata: 0 });

  const notGguf = path.join(dir, 'notes.gguf');
  fs.writeFileSync(notGguf, 'These are not the weights you are looking for.\n');

  const directory = path.join(dir, 'a-folder.gguf');
  fs.mkdirSync(directory);

  const unknownArchitecture = path.join(dir, 'unknown-architecture.gguf');
  writeGguf(
    unknownArchitecture,
    [
      ['general.architecture', { type: 'string', value: 'jarbrain' }],
      ['jarbrain.block_count', { type: 'u32', value: 1 }],
      ['jarbrain.embedding_length', { type: 'u32', value: 8 }],
      ['jarbrain.attention.head_count', { type: 'u32', value: 1 }],
    ],
    [{ name: 'token_embd.weight', dims: [8, 4], type: 0, fill: (out) => out.fill(0.5) }],
  );

  const rejectedByLlama = path.join(dir, 'rejected-by-llama.gguf');
  generateModel(rejectedByLlama, { ...DEMO_MODEL_SPEC, headCountInMetadata: 8 });

  cached = {
    dir,
    good,
    missing: path.join(dir, 'no-such-model.gguf'),
    directory,
    notGguf,
    truncated,
    truncatedHeader,
    headCountZero,
    unknownArchitecture,
    rejectedByLlama,
  };
  return cached;
}

/** A model of a given size, generated on demand into `dir`. */
export function sizedModel(dir: string, name: string, spec: Partial<ModelSpec>): string {
  const file = path.join(dir, `${name}.gguf`);
  if (!fs.existsSync(file)) generateModel(file, { ...DEMO_MODEL_SPEC, name, ...spec });
  return file;
}
