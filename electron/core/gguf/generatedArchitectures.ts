import type { MetadataValue } from './writeGguf.js';

/**
 * The tensor layouts of the architectures the model generator writes besides llama, as llama.cpp's loader expects
 * them (its src/models/<architecture>.cpp: the tensors each block must have, and their shapes). The weights are
 * shaped so that the minds think in words, as generateModel.ts explains for llama:
 * - with an output layer (llama, qwen2, qwen3, phi3), every embedding carries a constant first component and the
 *   output layer scores word tokens high along it;
 * - gemma ties the output to the token embedding, so the embedding itself marks word tokens (second component
 *   positive) and each block's feed-forward turns the constant first component into a large positive second one:
 *   whatever token came in, the last hidden state points at the words.
 */

export const GENERATED_ARCHITECTURES = ['llama', 'qwen2', 'qwen3', 'gemma2', 'gemma3', 'phi3'] as const;
export type GeneratedArchitecture = (typeof GENERATED_ARCHITECTURES)[number];

export interface LayerShape {
  embedding: number;
  /** Width of the keys (and of the values): head dimension x KV heads. */
  embeddingKv: number;
  feedForward: number;
  headDimension: number;
}

export interface Fills {
  ones(out: Float32Array): void;
  zeros(out: Float32Array): void;
  /** Small random weights: the blocks barely change the residual stream. */
  small(out: Float32Array): void;
  /** Uniform in [-scale, scale], from the model's deterministic generator. */
  uniform(scale: number): number;
}

export interface BlockTensor {
  /** The name after `blk.N.`. */
  suffix: string;
  dims: number[];
  fill(out: Float32Array): void;
}

export interface ArchitectureLayout {
  /** Metadata keys after `<architecture>.` beyond those every architecture has. */
  metadata: ReadonlyArray<readonly [string, MetadataValue]>;
  /** The tensors of one block, in file order. */
  block(shape: LayerShape, fills: Fills): BlockTensor[];
  /** No output.weight: llama.cpp uses the token embedding for the output too. */
  tiedOutput: boolean;
}

/** The word marker gemma's tied embedding carries in its second component, and how much the output reads it. */
const WORD_MARK = 0.25;
const OUTPUT_WORD_GAIN = 4;
/**
 * Noise in the rest of a tied embedding. Kept small: the last hidden state is mostly the last token's own embedding,
 * and with large noise that token's own row would score highest, so the mind would repeat one word.
 */
const TIED_NOISE = 0.05;

const attentionNorm = (shape: LayerShape, fills: Fills): BlockTensor => ({
  suffix: 'attn_norm.weight',
  dims: [shape.embedding],
  fill: fills.ones,
});
const feedForwardNorm = (shape: LayerShape, fills: Fills): BlockTensor => ({
  suffix: 'ffn_norm.weight',
  dims: [shape.embedding],
  fill: fills.ones,
});

function separateQkv(shape: LayerShape, fills: Fills, biases: boolean): BlockTensor[] {
  const { embedding, embeddingKv } = shape;
  const weights: BlockTensor[] = [
    { suffix: 'attn_q.weight', dims: [embedding, embedding], fill: fills.small },
    { suffix: 'attn_k.weight', dims: [embedding, embeddingKv], fill: fills.small },
    { suffix: 'attn_v.weight', dims: [embedding, embeddingKv], fill: fills.small },
  ];
  if (!biases) return weights;
  return [
    ...weights,
    { suffix: 'attn_q.bias', dims: [embedding], fill: fills.zeros },
    { suffix: 'attn_k.bias', dims: [embeddingKv], fill: fills.zeros },
    { suffix: 'attn_v.bias', dims: [embeddingKv], fill: fills.zeros },
  ];
}

function gatedFeedForward(shape: LayerShape, fills: Fills): BlockTensor[] {
  const { embedding, feedForward } = shape;
  return [
    { suffix: 'ffn_gate.weight', dims: [embedding, feedForward], fill: fills.small },
    { suffix: 'ffn_up.weight', dims: [embedding, feedForward], fill: fills.small },
    { suffix: 'ffn_down.weight', dims: [feedForward, embedding], fill: fills.small },
  ];
}

/** Norms of each query and key head (qwen3, gemma3), or none. */
function headNorms(shape: LayerShape, fills: Fills, present: boolean): BlockTensor[] {
  if (!present) return [];
  return [
    { suffix: 'attn_q_norm.weight', dims: [shape.headDimension], fill: fills.ones },
    { suffix: 'attn_k_norm.weight', dims: [shape.headDimension], fill: fills.ones },
  ];
}

function qwenBlock(shape: LayerShape, fills: Fills, variant: 'qwen2' | 'qwen3'): BlockTensor[] {
  return [
    attentionNorm(shape, fills),
    // qwen2 has biases on q, k and v (its defining difference from llama); qwen3 drops them for norms per head.
    ...separateQkv(shape, fills, variant === 'qwen2'),
    ...headNorms(shape, fills, variant === 'qwen3'),
    { suffix: 'attn_output.weight', dims: [shape.embedding, shape.embedding], fill: fills.small },
    feedForwardNorm(shape, fills),
    ...gatedFeedForward(shape, fills),
  ];
}

/**
 * A gemma block: its feed-forward reads the constant first component (gate and up rows weigh it 1) and writes only
 * the second (down), which the post-feed-forward norm then scales to a fixed size.
 */
function gemmaBlock(shape: LayerShape, fills: Fills, variant: 'gemma2' | 'gemma3'): BlockTensor[] {
  const { embedding, feedForward } = shape;
  const readsFirst = (out: Float32Array) => {
    for (let row = 0; row < feedForward; row++) {
      out[row * embedding] = 1;
      for (let i = 1; i < embedding; i++) out[row * embedding + i] = fills.uniform(0.02);
    }
  };
  const writesSecond = (out: Float32Array) => {
    out.fill(0);
    for (let j = 0; j < feedForward; j++) out[feedForward + j] = 0.05;
  };
  return [
    attentionNorm(shape, fills),
    ...separateQkv(shape, fills, false),
    ...headNorms(shape, fills, variant === 'gemma3'),
    { suffix: 'attn_output.weight', dims: [embedding, embedding], fill: fills.small },
    { suffix: 'post_attention_norm.weight', dims: [embedding], fill: fills.ones },
    feedForwardNorm(shape, fills),
    { suffix: 'ffn_gate.weight', dims: [embedding, feedForward], fill: readsFirst },
    { suffix: 'ffn_up.weight', dims: [embedding, feedForward], fill: readsFirst },
    { suffix: 'ffn_down.weight', dims: [feedForward, embedding], fill: writesSecond },
    { suffix: 'post_ffw_norm.weight', dims: [embedding], fill: fills.ones },
  ];
}

/** phi3 fuses q, k and v into one tensor, and gate and up into one twice as wide. */
function phi3Block(shape: LayerShape, fills: Fills): BlockTensor[] {
  const { embedding, embeddingKv, feedForward } = shape;
  return [
    attentionNorm(shape, fills),
    { suffix: 'attn_qkv.weight', dims: [embedding, embedding + 2 * embeddingKv], fill: fills.small },
    { suffix: 'attn_output.weight', dims: [embedding, embedding], fill: fills.small },
    feedForwardNorm(shape, fills),
    { suffix: 'ffn_up.weight', dims: [embedding, 2 * feedForward], fill: fills.small },
    { suffix: 'ffn_down.weight', dims: [feedForward, embedding], fill: fills.small },
  ];
}

function llamaBlock(shape: LayerShape, fills: Fills): BlockTensor[] {
  return [
    attentionNorm(shape, fills),
    ...separateQkv(shape, fills, false),
    { suffix: 'attn_output.weight', dims: [shape.embedding, shape.embedding], fill: fills.small },
    feedForwardNorm(shape, fills),
    ...gatedFeedForward(shape, fills),
  ];
}

export const LAYOUTS: Readonly<Record<GeneratedArchitecture, ArchitectureLayout>> = {
  llama: { metadata: [], block: llamaBlock, tiedOutput: false },
  qwen2: { metadata: [], block: (shape, fills) => qwenBlock(shape, fills, 'qwen2'), tiedOutput: false },
  qwen3: { metadata: [], block: (shape, fills) => qwenBlock(shape, fills, 'qwen3'), tiedOutput: false },
  gemma2: {
    metadata: [
      ['attn_logit_softcapping', { type: 'f32', value: 50 }],
      ['final_logit_softcapping', { type: 'f32', value: 30 }],
      ['attention.sliding_window', { type: 'u32', value: 4096 }],
    ],
    block: (shape, fills) => gemmaBlock(shape, fills, 'gemma2'),
    tiedOutput: true,
  },
  gemma3: { metadata: [], block: (shape, fills) => gemmaBlock(shape, fills, 'gemma3'), tiedOutput: true },
  phi3: { metadata: [], block: phi3Block, tiedOutput: false },
};

/**
 * The token embedding of a tied-output layout: the constant first component, the word marker in the second, and
 * small noise elsewhere. Untied layouts use generateModel's own.
 */
export function tiedEmbedding(
  isWord: readonly boolean[],
  embedding: number,
  fills: Fills,
): (out: Float32Array) => void {
  return (out) => {
    for (let token = 0; token < isWord.length; token++) {
      const row = token * embedding;
      out[row] = 1;
      out[row + 1] = isWord[token] ? WORD_MARK : -WORD_MARK;
      for (let i = 2; i < embedding; i++) out[row + i] = fills.uniform(TIED_NOISE);
    }
  };
}

/** The output norm of a tied-output layout: reads the word marker louder than the rest. */
export function tiedOutputNorm(out: Float32Array): void {
  out.fill(1);
  out[1] = OUTPUT_WORD_GAIN;
}
