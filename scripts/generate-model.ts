/**
 * Writes a small valid GGUF model (llama architecture, byte-level vocabulary, deterministic weights) that llama.cpp
 * loads and that thinks in printable words: the demo model, or a larger one for trying the planner and the watchdog.
 *
 *   npm run generate-model -- OUT.gguf [--layers N] [--embedding N] [--feed-forward N] [--heads N] [--context N]
 *                                      [--name NAME] [--seed N] [--architecture llama|qwen2|qwen3|gemma2|gemma3|phi3]
 *                                      [--type f32|f16|bf16|q8_0|q4_0|q4_k_m|...]
 *
 * --type writes the weights in a llama.cpp file type, tensor by tensor as llama-quantize would (a Q4_K_M file is
 * mostly Q4_K with some Q6_K), bit for bit as ggml's reference quantizer writes them from the same f32 weights.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { DEMO_MODEL_SPEC, generateModel, type ModelSpec } from '../electron/core/gguf/generateModel.js';
import { GENERATED_ARCHITECTURES, type GeneratedArchitecture } from '../electron/core/gguf/generatedArchitectures.js';
import { FILE_TYPES, isFileTypeName, type FileTypeName } from '../electron/core/gguf/quantMix.js';

const USAGE =
  'usage: npm run generate-model -- OUT.gguf [--layers N] [--embedding N] [--feed-forward N] [--heads N] ' +
  `[--context N] [--name NAME] [--seed N] [--architecture ${GENERATED_ARCHITECTURES.join('|')}] ` +
  `[--type ${Object.keys(FILE_TYPES).join('|')}]`;

function fileType(value: string | undefined): FileTypeName {
  if (value === undefined) return DEMO_MODEL_SPEC.tensorType;
  const name = value.toLowerCase();
  if (!isFileTypeName(name))
    throw new Error(`--type must be one of ${Object.keys(FILE_TYPES).join(', ')}, not "${value}"`);
  return name;
}

function positiveInteger(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new Error(`--${flag} must be a whole number above 0, not "${value}"`);
  return number;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      layers: { type: 'string' },
      embedding: { type: 'string' },
      'feed-forward': { type: 'string' },
      heads: { type: 'string' },
      context: { type: 'string' },
      name: { type: 'string' },
      seed: { type: 'string' },
      architecture: { type: 'string' },
      type: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) throw new Error(USAGE);
  const heads = positiveInteger('heads', values.heads, DEMO_MODEL_SPEC.heads);
  const architecture = (values.architecture ?? 'llama') as GeneratedArchitecture;
  if (!GENERATED_ARCHITECTURES.includes(architecture)) {
    throw new Error(`--architecture must be one of ${GENERATED_ARCHITECTURES.join(', ')}, not "${architecture}"`);
  }
  const spec: ModelSpec = {
    ...DEMO_MODEL_SPEC,
    name: values.name ?? DEMO_MODEL_SPEC.name,
    layers: positiveInteger('layers', values.layers, DEMO_MODEL_SPEC.layers),
    embedding: positiveInteger('embedding', values.embedding, DEMO_MODEL_SPEC.embedding),
    feedForward: positiveInteger('feed-forward', values['feed-forward'], DEMO_MODEL_SPEC.feedForward),
    heads,
    kvHeads: heads,
    contextLength: positiveInteger('context', values.context, DEMO_MODEL_SPEC.contextLength),
    seed: positiveInteger('seed', values.seed, DEMO_MODEL_SPEC.seed),
    architecture,
    tensorType: fileType(values.type),
  };
  const file = path.resolve(positionals[0]!);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const bytes = generateModel(file, spec);
  console.log(
    `wrote ${file} (${(bytes / 2 ** 20).toFixed(1)} MB, ${architecture}, ${spec.layers} layers x ${spec.embedding}, ` +
      `${spec.tensorType})`,
  );
}

try {
  main();
} catch (error) {
  console.error(`generate-model: ${(error as Error).message}`);
  process.exit(2);
}
