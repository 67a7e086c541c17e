import { GGML_TYPES } from './ggmlTypes.js';

/**
 * Which ggml type each tensor gets in a file of a given type, as llama-quantize chooses it without an importance matrix
 * (llama.cpp src/llama-quant.cpp: llama_tensor_get_type and its fallback for rows that are not whole blocks), for the
 * tensors a llama-architecture model has. A Q4_K_M file is mostly Q4_K, with Q6_K for the output layer and for attn_v
 * and ffn_down in about half the layers; norms stay F32 in every file type.
 */

const F32 = 0;
const F16 = 1;
const Q4_0 = 2;
const Q5_0 = 6;
const Q5_1 = 7;
const Q8_0 = 8;
const Q4_K = 12;
const Q5_K = 13;
const Q6_K = 14;
const IQ4_NL = 20;
const IQ4_XS = 23;

/** The file types generate-model writes: llama.cpp's general.file_type (llama_ftype) and their main tensor type. */
export const FILE_TYPES = {
  f32: { fileType: 0, base: F32, mix: false },
  f16: { fileType: 1, base: F16, mix: false },
  bf16: { fileType: 32, base: 30, mix: false },
  q8_0: { fileType: 7, base: Q8_0, mix: true },
  q4_0: { fileType: 2, base: Q4_0, mix: true },
  q4_1: { fileType: 3, base: 3, mix: true },
  q5_0: { fileType: 8, base: Q5_0, mix: true },
  q5_1: { fileType: 9, base: Q5_1, mix: true },
  q4_k_s: { fileType: 14, base: Q4_K, mix: true },
  q4_k_m: { fileType: 15, base: Q4_K, mix: true },
  q5_k_s: { fileType: 16, base: Q5_K, mix: true },
  q5_k_m: { fileType: 17, base: Q5_K, mix: true },
  q6_k: { fileType: 18, base: Q6_K, mix: true },
  iq4_nl: { fileType: 25, base: IQ4_NL, mix: true },
  iq4_xs: { fileType: 30, base: IQ4_XS, mix: true },
  /** Every matrix Q4_K (llama-quantize --pure Q4_K_M): sparse sizing models of an exact size. */
  q4_k: { fileType: 15, base: Q4_K, mix: false },
} as const;

export type FileTypeName = keyof typeof FILE_TYPES;

export function isFileTypeName(name: string): name is FileTypeName {
  return Object.hasOwn(FILE_TYPES, name);
}

/** What the choice depends on besides the tensor: the layer count and the attention's grouping. */
export interface MixContext {
  layers: number;
  /** Attention heads per KV head (n_gqa). */
  gqa: number;
  /** No output.weight: llama.cpp reads the token embedding as the output, and llama-quantize types it as one. */
  tiedEmbeddings?: boolean;
}

const blockSize = (type: number) => GGML_TYPES.get(type)?.blockSize ?? 1;

/** llama.cpp's use_more_bits: the first and last eighth of the layers, and every third one between. */
export function usesMoreBits(layer: number, layers: number): boolean {
  const eighth = Math.trunc(layers / 8);
  return layer < eighth || layer >= Math.trunc((7 * layers) / 8) || (layer - eighth) % 3 === 2;
}

/** A row length the type cannot hold in whole blocks falls back to a 32-value type, or to F16. */
function fallback(type: number, rowLength: number): number {
  if (rowLength % blockSize(type) === 0) return type;
  const demoted =
    type === Q4_K
      ? Q5_0
      : type === Q5_K
        ? Q5_1
        : type === Q6_K
          ? Q8_0
          : type === IQ4_XS
            ? IQ4_NL
            : blockSize(type) <= 32
              ? type
              : Q4_0;
  return rowLength % blockSize(demoted) === 0 ? demoted : F16;
}

/** The type of tensor `name` (dims in ggml order: dims[0] is the row length) in a file of type `fileType`. */
export function tensorTypeFor(
  fileType: FileTypeName,
  name: string,
  dims: readonly number[],
  context: MixContext,
): number {
  const { base, mix } = FILE_TYPES[fileType];
  // Vectors (norms) and anything that is not a weight matrix stay as they are: F32.
  if (dims.length < 2 || !name.endsWith('weight') || name.includes('_norm.weight')) return F32;
  if (base === F32 || base === F16 || base === 30) return base;
  const rowLength = dims[0]!;
  if (!mix) return fallback(base, rowLength);
  const layer = Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? -1);
  const { layers } = context;
  let type = base;
  if (name === 'output.weight' || (name === 'token_embd.weight' && context.tiedEmbeddings)) {
    type = rowLength % blockSize(base) !== 0 ? Q8_0 : base === Q8_0 ? Q8_0 : Q6_K;
  } else if (name.endsWith('attn_v.weight')) {
    if ((fileType === 'iq4_nl' || fileType === 'iq4_xs') && context.gqa >= 4) type = Q5_K;
    else if ((fileType === 'q4_k_m' || fileType === 'q5_k_m') && usesMoreBits(layer, layers)) type = Q6_K;
    else if (fileType === 'q4_k_s' && layer < 4) type = Q5_K;
  } else if (name.endsWith('ffn_down.weight')) {
    if (fileType === 'q4_k_m' && usesMoreBits(layer, layers)) type = Q6_K;
    else if ((fileType === 'iq4_nl' || fileType === 'iq4_xs') && layer < Math.trunc(layers / 8)) type = Q5_K;
    else if (fileType === 'q5_k_m' && usesMoreBits(layer, layers)) type = Q6_K;
    else if (fileType === 'q4_k_s' && layer < Math.trunc(layers / 8)) type = Q5_K;
  }
  return fallback(type, rowLength);
}
