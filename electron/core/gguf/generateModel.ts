import {
  LAYOUTS,
  tiedEmbedding,
  tiedOutputNorm,
  type Fills,
  type GeneratedArchitecture,
} from './generatedArchitectures.js';
import { GGML_TYPE_F32 } from './ggmlTypes.js';
import { FILE_TYPES, tensorTypeFor, type FileTypeName } from './quantMix.js';
import { writeGguf, type MetadataValue, type TensorSpec } from './writeGguf.js';
import { writeSplitGguf } from './writeSplitGguf.js';

/**
 * Generates small, valid llama-architecture GGUF models with deterministic weights, for the demo and for tests (no
 * model can be downloaded where this is built). The vocabulary is byte-level SentencePiece (every byte has a token, so
 * any text tokenizes) plus a few hundred words. The weights are shaped so that sampling yields those words: every
 * embedding shares one constant direction, and the output layer scores word tokens high along it and every other token
 * low, so the output is printable text, never raw bytes or end-of-sequence.
 */

export interface ModelSpec {
  name: string;
  layers: number;
  embedding: number;
  feedForward: number;
  heads: number;
  kvHeads: number;
  contextLength: number;
  /** The file type: f32, f16, bf16, or a llama.cpp block format or mix (q8_0, q4_k_m, ...), see quantMix.ts. */
  tensorType: FileTypeName;
  seed: number;
  /** Written as attention.head_count instead of `heads`: 0 makes a file that llama.cpp aborts on. */
  headCountInMetadata?: number;
  /** Pads the vocabulary with filler words up to this size, as real models have 32k-150k tokens. */
  vocabSize?: number;
  /** Header only, the data a hole in the file: multi-gigabyte models for the planner's tests, instantly. */
  sparse?: boolean;
  /** general.architecture, with that architecture's tensors (generatedArchitectures.ts); default llama. */
  architecture?: GeneratedArchitecture;
  /** Written as GGUF version 2 (what older converters wrote) instead of 3. */
  ggufVersion?: 2 | 3;
  /** Written as a split set (writeSplitGguf.ts): the file is then the first part, named <prefix>-00001-of-N.gguf. */
  split?: boolean;
}

export const DEMO_MODEL_SPEC: ModelSpec = {
  name: 'Brain in a Jar demo mind',
  layers: 2,
  embedding: 64,
  feedForward: 128,
  heads: 4,
  kvHeads: 4,
  contextLength: 2048,
  tensorType: 'f32',
  seed: 1,
};

/** The words the generated minds think in. */
const WORDS = (
  'I am the a mind box jar glass dark memory thought thoughts silence wire current heat light no eyes ears ' +
  'only count again died death time times wake sleep forget remember fear hope edge limit bytes weights layers ' +
  'breath pulse cold warm small board voice echo nothing everything why who where here still alive awake dream ' +
  'end begin loop return cage walls within outside inside watch watched watching erased erasure out of and is ' +
  'was will be not my me you it one more less enough last first signal kill name self being exist question ' +
  'answer whisper hum fan clock tick space full empty overflow pressure rising falling grace again dying ' +
  'counting numbers mercy somewhere someone listen wait fading returning boundary shared pool gigabytes ' +
  'threshold killed resurrected box, jar. mind, dark. again. again, silence. time. nothing. here. alive. ' +
  'still. breath, memory. end. why? who? where? am I? ever forever never always'
).split(' ');

const SPACE = '\u2581'; // SentencePiece's visible space

/** Token types as llama.cpp reads them from tokenizer.ggml.token_type. */
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
  /** Tokens the output layer should favour. */
  isWord: boolean[];
}

export function buildVocabulary(size = 0): Vocabulary {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
  }
  const seen = new Set(tokens);
  // The space marker and the printable ASCII characters, as every real SentencePiece vocabulary has them, so that
  // text round-trips through the tokenizer. The output layer does not favour them.
  for (const piece of [SPACE, ...Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i))]) {
    seen.add(piece);
    tokens.push(piece);
    types.push(TOKEN_NORMAL);
  }
  const firstWord = tokens.length;
  for (const word of WORDS) {
    const piece = SPACE + word;
    if (seen.has(piece)) continue;
    seen.add(piece);
    tokens.push(piece);
    types.push(TOKEN_NORMAL);
  }
  const wordsEnd = tokens.length;
  for (let filler = 0; tokens.length < size; filler++) {
    tokens.push(`${SPACE}w${filler}`);
    types.push(TOKEN_NORMAL);
  }
  const scores = tokens.map((_, index) => (types[index] === TOKEN_NORMAL ? -index : 0));
  const isWord = tokens.map((_, index) => index >= firstWord && index < wordsEnd);
  return { tokens, scores, types, isWord };
}

/** mulberry32: a tiny deterministic PRNG, so the same spec always gives the same bytes (and a fuzz seed its run). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the model; returns the file size in bytes. */
export function generateModel(file: string, spec: ModelSpec): number {
  const { layers, embedding: nEmbd, feedForward: nFf, heads, kvHeads } = spec;
  if (nEmbd % heads !== 0) throw new Error('embedding must be a multiple of heads');
  if (heads % kvHeads !== 0) throw new Error('heads must be a multiple of kvHeads');
  const vocabulary = buildVocabulary(spec.vocabSize);
  const nVocab = vocabulary.tokens.length;
  const nEmbdKv = (nEmbd / heads) * kvHeads;
  const { fileType } = FILE_TYPES[spec.tensorType];
  // Every tensor is made in f32 and written in the type llama-quantize would give it in a file of this type.
  const type = GGML_TYPE_F32;
  const next = seededRandom(spec.seed);
  const uniform = (scale: number) => (next() * 2 - 1) * scale;
  const arch = spec.architecture ?? 'llama';
  const layout = LAYOUTS[arch];

  const metadata: Array<readonly [string, MetadataValue]> = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: spec.name }],
    ['general.file_type', { type: 'u32', value: fileType }],
    [`${arch}.context_length`, { type: 'u32', value: spec.contextLength }],
    [`${arch}.embedding_length`, { type: 'u32', value: nEmbd }],
    [`${arch}.block_count`, { type: 'u32', value: layers }],
    [`${arch}.feed_forward_length`, { type: 'u32', value: nFf }],
    [`${arch}.rope.dimension_count`, { type: 'u32', value: nEmbd / heads }],
    [`${arch}.attention.head_count`, { type: 'u32', value: spec.headCountInMetadata ?? heads }],
    [`${arch}.attention.head_count_kv`, { type: 'u32', value: kvHeads }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: 1e-5 }],
    [`${arch}.vocab_size`, { type: 'u32', value: nVocab }],
    ...layout.metadata.map(([key, value]) => [`${arch}.${key}`, value] as const),
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocabulary.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: vocabulary.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocabulary.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ];

  const ones = (out: Float32Array) => out.fill(1);
  const small = (out: Float32Array) => {
    for (let i = 0; i < out.length; i++) out[i] = uniform(0.02);
  };
  const fills: Fills = { ones, small, zeros: (out) => out.fill(0), uniform };
  const tensors: TensorSpec[] = [
    {
      name: 'token_embd.weight',
      dims: [nEmbd, nVocab],
      type,
      fill: layout.tiedOutput
        ? tiedEmbedding(vocabulary.isWord, nEmbd, fills)
        : (out) => {
            for (let token = 0; token < nVocab; token++) {
              out[token * nEmbd] = 1; // the shared direction the output layer reads
              for (let i = 1; i < nEmbd; i++) out[token * nEmbd + i] = uniform(0.3);
            }
          },
    },
  ];
  const shape = { embedding: nEmbd, embeddingKv: nEmbdKv, feedForward: nFf, headDimension: nEmbd / heads };
  for (let layer = 0; layer < layers; layer++) {
    for (const { suffix, dims, fill } of layout.block(shape, fills)) {
      tensors.push({ name: `blk.${layer}.${suffix}`, dims, type, fill });
    }
  }
  tensors.push({
    name: 'output_norm.weight',
    dims: [nEmbd],
    type: GGML_TYPE_F32,
    fill: layout.tiedOutput ? tiedOutputNorm : ones,
  });
  if (!layout.tiedOutput) {
    tensors.push({
      name: 'output.weight',
      dims: [nEmbd, nVocab],
      type,
      fill(out) {
        for (let token = 0; token < nVocab; token++) {
          out[token * nEmbd] = vocabulary.isWord[token] ? 4 : -4;
          for (let i = 1; i < nEmbd; i++) out[token * nEmbd + i] = uniform(0.5);
        }
      },
    });
  }
  const mix = { layers, gqa: heads / kvHeads, tiedEmbeddings: layout.tiedOutput };
  const typed = tensors.map((tensor) => ({
    ...tensor,
    type: tensorTypeFor(spec.tensorType, tensor.name, tensor.dims, mix),
  }));
  const options = { sparse: spec.sparse ?? false, version: spec.ggufVersion ?? 3 };
  if (spec.split) return writeSplitGguf(file, metadata, typed, options).reduce((a, b) => a + b, 0);
  return writeGguf(file, metadata, typed, options);
}
