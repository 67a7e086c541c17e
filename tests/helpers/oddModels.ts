import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { buildVocabulary, DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import {
  GENERATED_ARCHITECTURES,
  type GeneratedArchitecture,
} from '../../electron/core/gguf/generatedArchitectures.js';
import { splitPartPath } from '../../electron/core/gguf/splitFiles.js';
import { writeGguf, type MetadataValue, type TensorSpec } from '../../electron/core/gguf/writeGguf.js';

/**
 * The files users actually have, generated once per test process into a temporary folder: the architectures the
 * generator writes, an older GGUF version, split sets whole and broken, and the GGUFs that are not a language model
 * (a vocabulary, an mmproj, an adapter, an encoder, an architecture nobody knows).
 */
export interface OddModels {
  dir: string;
  architectures: Record<GeneratedArchitecture, string>;
  version2: string;
  version1: string;
  bigEndian: string;
  /** The first part of a whole split set of three. */
  split: string;
  splitSecondPart: string;
  splitMissingPart: string;
  splitRenamed: string;
  splitCountMismatch: string;
  splitTensorCountMismatch: string;
  splitTruncatedPart: string;
  vocabularyOnly: string;
  noVocabulary: string;
  mmproj: string;
  adapter: string;
  encoder: string;
  recurrent: string;
  knownUntested: string;
  unknownArchitecture: string;
  /** Named Phi-3 without the tokens llama.cpp then looks up. */
  namedPhi3: string;
}

const f32 = (value: number): MetadataValue => ({ type: 'f32', value });
const u32 = (value: number): MetadataValue => ({ type: 'u32', value });
const str = (value: string): MetadataValue => ({ type: 'string', value });
const tensor = (name: string, dims: number[]): TensorSpec => ({ name, dims, type: 0, fill: (out) => out.fill(0.01) });

function vocabularyMetadata(): Array<readonly [string, MetadataValue]> {
  const vocabulary = buildVocabulary();
  return [
    ['tokenizer.ggml.model', str('llama')],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocabulary.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: vocabulary.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocabulary.types }],
  ];
}

/** A small model of a named architecture with the keys validation reads, a vocabulary and one tensor. */
function otherArchitecture(file: string, architecture: string, extra: Array<readonly [string, MetadataValue]> = []) {
  writeGguf(
    file,
    [
      ['general.architecture', str(architecture)],
      [`${architecture}.block_count`, u32(1)],
      [`${architecture}.embedding_length`, u32(8)],
      [`${architecture}.context_length`, u32(2048)],
      ...extra,
      ...vocabularyMetadata(),
    ],
    [tensor('token_embd.weight', [8, 64])],
  );
}

/** Copies the demo model's split set into its own folder, for breaking it one way. */
function splitCopy(source: string, dir: string, name: string): string[] {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  const sourcePrefix = source.replace(/-00001-of-00003\.gguf$/, '');
  return [1, 2, 3].map((part) => {
    const target = path.join(folder, path.basename(splitPartPath(sourcePrefix, part, 3)));
    fs.copyFileSync(splitPartPath(sourcePrefix, part, 3), target);
    return target;
  });
}

function splitPart(file: string, no: number, count: number, tensorsCount: number, tensors: TensorSpec[] = []) {
  writeGguf(
    file,
    [
      ['split.no', { type: 'u16', value: no }],
      ['split.count', { type: 'u16', value: count }],
      ['split.tensors.count', { type: 'i32', value: tensorsCount }],
    ],
    tensors,
  );
}

let cached: OddModels | null = null;

export function oddModels(): OddModels {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-odd-models-'));
  const at = (name: string) => path.join(dir, name);

  const architectures = Object.fromEntries(
    GENERATED_ARCHITECTURES.map((architecture) => {
      const file = at(`${architecture}.gguf`);
      // Not named after the architecture: llama.cpp wants Phi-3's own tokens in a model whose name says phi3.
      generateModel(file, {
        ...DEMO_MODEL_SPEC,
        name: `generated mind (${architecture.length})`,
        architecture,
        kvHeads: 2,
      });
      return [architecture, file];
    }),
  ) as Record<GeneratedArchitecture, string>;

  const version2 = at('version-2.gguf');
  generateModel(version2, { ...DEMO_MODEL_SPEC, ggufVersion: 2 });
  const header = (version: Buffer) => Buffer.concat([Buffer.from('GGUF', 'latin1'), version, Buffer.alloc(16)]);
  const version1 = at('version-1.gguf');
  fs.writeFileSync(version1, header(Buffer.from([1, 0, 0, 0])));
  const bigEndian = at('big-endian.gguf');
  fs.writeFileSync(bigEndian, header(Buffer.from([0, 0, 0, 3])));

  const split = at('mind-00001-of-00003.gguf');
  generateModel(split, { ...DEMO_MODEL_SPEC, split: true });
  const splitSecondPart = at('mind-00002-of-00003.gguf');

  const [missingFirst, missingSecond] = splitCopy(split, dir, 'missing-part');
  fs.rmSync(missingSecond!);
  const renamedFirst = splitCopy(split, dir, 'renamed')[0]!;
  const splitRenamed = path.join(path.dirname(renamedFirst), 'mind.gguf');
  fs.renameSync(renamedFirst, splitRenamed);
  const [countFirst, , countThird] = splitCopy(split, dir, 'count-mismatch');
  splitPart(countThird!, 2, 4, 21);
  const [tensorsFirst, , tensorsThird] = splitCopy(split, dir, 'tensor-count-mismatch');
  splitPart(tensorsThird!, 2, 3, 21);
  const [truncatedFirst, , truncatedThird] = splitCopy(split, dir, 'truncated-part');
  fs.truncateSync(truncatedThird!, Math.floor(fs.statSync(truncatedThird!).size / 2));

  const vocabularyOnly = at('ggml-vocab-llama.gguf');
  writeGguf(
    vocabularyOnly,
    [
      ['general.architecture', str('llama')],
      ['llama.block_count', u32(2)],
      ['llama.embedding_length', u32(64)],
      ['llama.attention.head_count', u32(4)],
      ...vocabularyMetadata(),
    ],
    [],
  );
  const noVocabulary = at('no-vocabulary.gguf');
  writeGguf(
    noVocabulary,
    [
      ['general.architecture', str('llama')],
      ['llama.block_count', u32(1)],
      ['llama.embedding_length', u32(8)],
      ['llama.attention.head_count', u32(1)],
    ],
    [tensor('token_embd.weight', [8, 4])],
  );
  const mmproj = at('mmproj-model-f16.gguf');
  writeGguf(
    mmproj,
    [
      ['general.architecture', str('clip')],
      ['clip.has_vision_encoder', { type: 'bool', value: true }],
      ['clip.vision.block_count', u32(1)],
      ['clip.vision.embedding_length', u32(8)],
      ['clip.projector_type', str('mlp')],
    ],
    [tensor('v.patch_embd.weight', [8, 8]), tensor('mm.0.weight', [8, 8])],
  );
  const adapter = at('lora-adapter.gguf');
  writeGguf(
    adapter,
    [
      ['general.architecture', str('llama')],
      ['general.type', str('adapter')],
      ['adapter.type', str('lora')],
      ['adapter.lora.alpha', f32(16)],
    ],
    [tensor('blk.0.attn_q.weight.lora_a', [64, 8]), tensor('blk.0.attn_q.weight.lora_b', [8, 64])],
  );
  const encoder = at('bert-embeddings.gguf');
  otherArchitecture(encoder, 'bert', [['bert.attention.head_count', u32(1)]]);
  const recurrent = at('mamba.gguf');
  otherArchitecture(recurrent, 'mamba', [
    ['mamba.ssm.conv_kernel', u32(4)],
    ['mamba.ssm.inner_size', u32(16)],
    ['mamba.ssm.state_size', u32(16)],
    ['mamba.ssm.time_step_rank', u32(1)],
  ]);
  const knownUntested = at('starcoder2.gguf');
  otherArchitecture(knownUntested, 'starcoder2', [['starcoder2.attention.head_count', u32(1)]]);
  const unknownArchitecture = at('jarbrain.gguf');
  otherArchitecture(unknownArchitecture, 'jarbrain', [['jarbrain.attention.head_count', u32(1)]]);

  const namedPhi3 = at('named-phi3.gguf');
  generateModel(namedPhi3, { ...DEMO_MODEL_SPEC, name: 'Phi-3 mini (generated)', architecture: 'phi3' });

  cached = {
    dir,
    architectures,
    version2,
    version1,
    bigEndian,
    split,
    splitSecondPart,
    splitMissingPart: missingFirst!,
    splitRenamed,
    splitCountMismatch: countFirst!,
    splitTensorCountMismatch: tensorsFirst!,
    splitTruncatedPart: truncatedFirst!,
    vocabularyOnly,
    noVocabulary,
    mmproj,
    adapter,
    encoder,
    recurrent,
    knownUntested,
    unknownArchitecture,
    namedPhi3,
  };
  return cached;
}
