import type { GgufTensorInfo } from '../gguf/readGguf.js';
import type { RepackCandidate } from './repack.js';

/**
 * The model's weights as llama.cpp places them: which layer each belongs to (the planner offloads by layer), where its
 * bytes lie in the file (what stays mapped is a span of the file), and the operation that reads it (only matrix
 * multiplications can be repacked).
 */
export interface WeightTensor extends RepackCandidate {
  name: string;
  /** A repeating layer's index, or the input layer (kept on the CPU) or the output layer (offloaded last). */
  layer: number | 'input' | 'output';
  /** Offset of its data from the start of the file's data section, and its size. */
  offset: number;
  bytes: number;
  /** The output layer llama.cpp makes from the token embedding when the file has no output.weight: no bytes of its own. */
  tied?: boolean;
}

/** How llama.cpp reads a weight (llama-arch.cpp's tensor infos, by the name's pattern). */
function opOf(name: string, dims: readonly number[]): WeightTensor['op'] {
  if (!name.endsWith('.weight') || dims.length < 2) return 'other';
  // Embeddings are looked up by row (get_rows); norms are multiplied element by element.
  if (/^(token_embd|per_layer_token_embd|pos_embd|token_types)\./.test(name) || /norm/.test(name)) return 'other';
  return dims.length === 3 && name.includes('_exps') ? 'mul_mat_id' : 'mul_mat';
}

export function weightTensors(tensors: readonly GgufTensorInfo[], blockCount: number): WeightTensor[] {
  const weights: WeightTensor[] = tensors.map((tensor) => {
    const block = /^blk\.(\d+)\./.exec(tensor.name);
    const layer =
      block && Number(block[1]) < blockCount ? Number(block[1]) : tensor.name.startsWith('output') ? 'output' : 'input';
    return {
      name: tensor.name,
      layer,
      type: tensor.type,
      dims: tensor.dims,
      offset: tensor.offset,
      bytes: tensor.bytes ?? 0,
      op: opOf(tensor.name, tensor.dims),
    };
  });
  const embedding = weights.find((weight) => weight.name === 'token_embd.weight');
  if (embedding && !weights.some((weight) => weight.name === 'output.weight')) {
    weights.push({ ...embedding, name: 'output.weight', layer: 'output', op: 'mul_mat', tied: true });
  }
  return weights;
}

/** Where the weights are under a plan, in bytes: resident from the mapped file, copied by repacking, on the GPU. */
export interface WeightPlacement {
  /** The span of the file between the first and the last weight used from the mapping: all of it stays mapped. */
  mappedBytes: number;
  /** Anonymous copies made by repacking. */
  repackedBytes: number;
  gpuBytes: number;
  /** Row length and vec_dot bytes per value of the largest CPU-side matrix input conversion (the work buffer). */
  workBytesPerToken: number;
}

/** Bytes per value of the type llama.cpp's CPU backend converts a matrix product's f32 input to (its vec_dot_type). */
function vecDotBytesPerValue(type: number): number {
  if (type === 0) return 0; // F32 weights take the f32 input as it is
  if (type === 1 || type === 30) return 2; // F16, BF16
  if (type === 3 || type === 7) return 36 / 32; // Q4_1, Q5_1 -> Q8_1
  if (type === 2 || type === 6 || type === 8 || type === 20 || type === 39) return 34 / 32; // -> Q8_0
  return 292 / 256; // k-quants and i-quants -> Q8_K
}

/**
 * Places each weight for a plan: the input layer and the layers not offloaded stay on the CPU, where a weight is
 * either repacked (an anonymous copy, its file pages still mapped) or used from the mapping. The file is mapped with
 * MAP_POPULATE and, once loaded, unmapped before the first and after the last weight used from the mapping
 * (llama-model-loader.cpp, load_all_data), so the whole span between stays resident.
 *
 * With a GPU backend loaded (`repackOf` null) no CPU-side weight is repacked: llama.cpp then prefers the GPU's host
 * buffer type, which under mmap becomes the plain mapped buffer ("avoid using a host buffer when using mmap"), ahead of
 * the repack buffer in its list. The RAM side then counts the CPU-side weights themselves, not the span: offloaded
 * weights lying inside it stay mapped too, but that cannot be measured without a GPU (the plan's notes say so).
 */
export function placeWeights(
  weights: readonly WeightTensor[],
  offload: { firstGpuLayer: number; output: boolean },
  repackOf: ((weight: WeightTensor) => string | null) | null,
): WeightPlacement {
  let cpuMappedBytes = 0;
  let first = Infinity;
  let last = -Infinity;
  let repackedBytes = 0;
  let gpuBytes = 0;
  let workBytesPerToken = 0;
  for (const weight of weights) {
    const onGpu =
      weight.layer === 'output'
        ? offload.output
        : typeof weight.layer === 'number' && weight.layer >= offload.firstGpuLayer;
    if (onGpu) {
      gpuBytes += weight.bytes;
      continue;
    }
    if (weight.op !== 'other') {
      const rowLength = weight.dims[0] ?? 0;
      workBytesPerToken = Math.max(workBytesPerToken, rowLength * vecDotBytesPerValue(weight.type));
    }
    if (repackOf?.(weight)) {
      repackedBytes += weight.bytes;
    } else if (!weight.tied) {
      cpuMappedBytes += weight.bytes;
      first = Math.min(first, weight.offset);
      last = Math.max(last, weight.offset + weight.bytes);
    }
  }
  const span = last > first ? last - first : 0;
  return { mappedBytes: repackOf ? span : cpuMappedBytes, repackedBytes, gpuBytes, workBytesPerToken };
}
