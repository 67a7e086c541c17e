import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateModel, type ModelSpec } from '../electron/core/gguf/generateModel.js';

/**
 * Generated benchmark models, kept between runs: quantizing 100 M weights as llama.cpp's reference quantizer does
 * takes half a minute per k-quant file in JavaScript. A model is found again by a hash of its spec and of the
 * generator's sources, so a change to either makes a new file.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GENERATOR = [
  'electron/core/gguf/generateModel.ts',
  'electron/core/gguf/quantize.ts',
  'electron/core/gguf/quantMix.ts',
  'electron/core/gguf/writeGguf.ts',
];

export const MODEL_CACHE_DIR = path.join(os.tmpdir(), 'bij-bench-models');

export function cachedModel(spec: ModelSpec): { file: string; bytes: number; generatedMs: number | null } {
  const hash = createHash('sha256').update(JSON.stringify(spec));
  for (const source of GENERATOR) hash.update(fs.readFileSync(path.join(root, source)));
  const file = path.join(MODEL_CACHE_DIR, `${spec.tensorType}-${hash.digest('hex').slice(0, 16)}.gguf`);
  if (fs.existsSync(file)) return { file, bytes: fs.statSync(file).size, generatedMs: null };
  fs.mkdirSync(MODEL_CACHE_DIR, { recursive: true });
  const started = Date.now();
  const bytes = generateModel(file, spec);
  return { file, bytes, generatedMs: Date.now() - started };
}
