import path from 'node:path';

import { metadataNumber, metadataString, type GgufHeader } from '../gguf/readGguf.js';
import type { CpuBuild } from './repack.js';
import { weightTensors, type WeightTensor } from './weights.js';
import { countPromptTokens, type ModelPromptTokens } from './contextFloor.js';

/**
 * What the planner needs to know of a model, summed from its GGUF tensors: the bytes of each repeating layer, of the
 * input embedding (which llama.cpp keeps on the CPU) and of the output layer (offloaded last), and the shape numbers
 * that size the KV cache and the compute buffers.
 */
export interface ModelProfile {
  path: string;
  name: string;
  architecture: string;
  fileBytes: number;
  blockCount: number;
  /** Repeating layers + the output layer, as node-llama-cpp counts them (what --gpu-layers ranges over). */
  totalLayers: number;
  layerBytes: number[];
  inputBytes: number;
  outputBytes: number;
  embedding: number;
  headCount: number;
  headCountKv: number;
  keyLength: number;
  valueLength: number;
  feedForward: number;
  vocabSize: number;
  trainContextSize: number | null;
  /** Every weight with its type, shape and place in the file: what decides mapped, repacked or offloaded. */
  weights?: WeightTensor[];
  /** The CPU build it will run on; the planner sets it from the board. Absent: unknown (repacking as an upper bound). */
  cpu?: CpuBuild;
  /** Each role's prompts in this model's tokens (contextFloor.ts); absent in profiles made by hand. */
  promptTokens?: ModelPromptTokens;
}

export function modelProfile(file: string, header: GgufHeader): ModelProfile {
  const architecture = metadataString(header, 'general.architecture') ?? 'unknown';
  const number = (key: string) => metadataNumber(header, `${architecture}.${key}`);
  const blockCount = number('block_count') ?? 0;
  const embedding = number('embedding_length') ?? 0;
  const headCount = number('attention.head_count') ?? 1;
  const headCountKv = number('attention.head_count_kv') ?? headCount;
  const layerBytes = new Array<number>(blockCount).fill(0);
  let inputBytes = 0;
  let outputBytes = 0;
  let hasOutput = false;
  let embeddingBytes = 0;
  for (const tensor of header.tensors) {
    const bytes = tensor.bytes ?? 0;
    const block = /^blk\.(\d+)\./.exec(tensor.name);
    if (block && Number(block[1]) < blockCount) {
      layerBytes[Number(block[1])]! += bytes;
    } else if (tensor.name.startsWith('output')) {
      outputBytes += bytes;
      if (tensor.name === 'output.weight') hasOutput = true;
    } else {
      inputBytes += bytes;
      if (tensor.name === 'token_embd.weight') embeddingBytes = bytes;
    }
  }
  // Tied embeddings: with no output.weight, llama.cpp uses token_embd for the output too, and offloading the output
  // layer puts a copy of it on the GPU.
  if (!hasOutput) outputBytes += embeddingBytes;
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  const vocabSize = number('vocab_size') ?? (typeof tokens === 'object' ? tokens.length : 0);
  return {
    path: path.resolve(file),
    name: metadataString(header, 'general.name') ?? path.basename(file, path.extname(file)),
    architecture,
    fileBytes: header.fileSize,
    blockCount,
    totalLayers: blockCount + 1,
    layerBytes,
    inputBytes,
    outputBytes,
    embedding,
    headCount,
    headCountKv,
    keyLength: number('attention.key_length') ?? Math.floor(embedding / Math.max(1, headCount)),
    valueLength: number('attention.value_length') ?? Math.floor(embedding / Math.max(1, headCount)),
    feedForward: number('feed_forward_length') ?? 4 * embedding,
    vocabSize,
    trainContextSize: number('context_length') ?? null,
    weights: weightTensors(header.tensors, blockCount),
    promptTokens: countPromptTokens(header),
  };
}
