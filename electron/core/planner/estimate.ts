import { MIB } from '../../../shared/board.js';
import type { MemoryFigures } from '../../../shared/plan.js';
import type { ModelProfile } from './modelProfile.js';
import { cpuBuildFor, repackLayout } from './repack.js';
import { placeWeights, type WeightPlacement } from './weights.js';

/**
 * Memory an instance will use under a plan, from its model's tensors. llama.cpp keeps the input embedding on the
 * CPU, offloads the last `gpuLayers` repeating layers (and the output layer when `gpuLayers` exceeds the repeating
 * ones), and keeps each layer's KV cache and compute buffers where the layer runs. On the CPU the file is mapped
 * (with MAP_POPULATE: all of it resident once loaded) from the first to the last weight used from the mapping, and
 * the weights the CPU build repacks are copied into anonymous memory besides (repack.ts, weights.ts).
 *
 * The constants below were measured on this project's build machine (CPU backend, `npm run bench -- planner` shows
 * the estimate against measured RSS); the GPU ones are the usual sizes of a CUDA context and its libraries, which
 * cannot be measured without a GPU and are kept on the generous side.
 */

/** Node, node-llama-cpp and llama.cpp's CPU backend, with the JS heap of a thinking worker: measured ~120 MB. */
export const RUNTIME_RAM_BYTES = 120 * MIB;
/** The same right after the load, before the first prompt has grown the JS heap: measured 94-98 MB. */
export const RUNTIME_LOADED_RAM_BYTES = 96 * MIB;
/** A CUDA context with cuBLAS workspaces, on the GPU side. */
export const GPU_CONTEXT_BYTES = 320 * MIB;
/** The CUDA libraries mapped into the process and their pinned host buffers, on the RAM side. */
export const GPU_BACKEND_RAM_BYTES = 200 * MIB;
/** KV cache entries are f16. */
const KV_BYTES_PER_VALUE = 2;
/** Compute buffers hold f32 activations; the flash-attention mask is f16. */
const F32 = 4;
const F16 = 2;

export interface PlanShape {
  gpuLayers: number;
  contextSize: number;
  batchSize: number;
}

/** The figures a plan carries (see MemoryFigures), and the parts they are the sums of. */
export interface MemoryEstimate extends MemoryFigures {
  parts: {
    runtime: number;
    weightsRam: number;
    /** The part of weightsRam that is repacked copies (anonymous), on top of the mapped file. */
    weightsRepacked: number;
    weightsGpu: number;
    kvRam: number;
    kvGpu: number;
    computeRam: number;
    computeGpu: number;
    gpuRuntime: number;
  };
}

/** Repeating layers and output layer that go to the GPU for `gpuLayers`. */
export function offloadedLayers(model: ModelProfile, gpuLayers: number): { repeating: number; output: boolean } {
  const layers = Math.max(0, Math.min(gpuLayers, model.totalLayers));
  return { repeating: Math.min(layers, model.blockCount), output: layers > model.blockCount };
}

/** KV cache bytes of one layer for a context. */
export function kvBytesPerLayer(model: ModelProfile, contextSize: number): number {
  return contextSize * model.headCountKv * (model.keyLength + model.valueLength) * KV_BYTES_PER_VALUE;
}

/**
 * Activations of a full micro-batch at their peak, the feed-forward: its gate, its up projection and their product
 * live at once (3 x feed-forward), beside the residual it is added to and the batch's input embeddings (2 x
 * embedding; the normed input the projections read is freed once both are computed); and the attention mask, context
 * x batch in f16. (A 512-token batch of an 8 x 1024 model touches 22.9 MB of its compute buffer; this gives 22.5.) Attention runs as flash attention (llama.cpp's default where the backend
 * has it), so there is no context x context matrix; node-llama-cpp asks for one row of logits.
 */
export function computeBytes(model: ModelProfile, batchSize: number, contextSize: number): number {
  const ubatch = Math.max(1, Math.min(batchSize, contextSize));
  const mask = contextSize * ubatch * F16;
  return ubatch * F32 * (3 * model.feedForward + 2 * model.embedding) + mask + model.vocabSize * F32;
}

/** Where the weights go; a profile without its tensor list falls back to the per-layer sums, none repacked. */
function weightsOf(model: ModelProfile, firstGpuLayer: number, output: boolean, gpuBackend: boolean): WeightPlacement {
  if (model.weights) {
    const build = model.cpu ?? cpuBuildFor(null);
    return placeWeights(
      model.weights,
      { firstGpuLayer, output },
      gpuBackend ? null : (weight) => repackLayout(build, weight),
    );
  }
  let gpuBytes = output ? model.outputBytes : 0;
  let mappedBytes = model.inputBytes + (output ? 0 : model.outputBytes);
  model.layerBytes.forEach((bytes, index) => {
    if (index >= firstGpuLayer) gpuBytes += bytes;
    else mappedBytes += bytes;
  });
  return { mappedBytes, repackedBytes: 0, gpuBytes, workBytesPerToken: 0 };
}

export function estimateMemory(model: ModelProfile, shape: PlanShape): MemoryEstimate {
  const { repeating, output } = offloadedLayers(model, shape.gpuLayers);
  const firstGpuLayer = model.blockCount - repeating;
  const placement = weightsOf(model, firstGpuLayer, output, shape.gpuLayers > 0);
  const weightsGpu = placement.gpuBytes;
  const weightsRam = placement.mappedBytes + placement.repackedBytes;
  const kvLayer = kvBytesPerLayer(model, shape.contextSize);
  const kvGpu = kvLayer * repeating;
  const kvRam = kvLayer * (model.blockCount - repeating);
  const compute = computeBytes(model, shape.batchSize, shape.contextSize);
  const onGpu = shape.gpuLayers > 0;
  const computeGpu = onGpu ? compute : 0;
  // With every layer offloaded the CPU still embeds the input; a small fraction of the buffer.
  // Quantized CPU weights also need their f32 input converted (to Q8_0, Q8_K, f16...) in the CPU backend's work buffer.
  const work = Math.min(shape.batchSize, shape.contextSize) * placement.workBytesPerToken;
  const computeRam = (repeating === model.blockCount && onGpu ? Math.ceil(compute / 8) : compute) + work;
  const backendRam = onGpu ? GPU_BACKEND_RAM_BYTES : 0;
  const runtime = RUNTIME_RAM_BYTES + backendRam;
  const gpuRuntime = onGpu ? GPU_CONTEXT_BYTES : 0;
  return {
    gpuBytes: weightsGpu + kvGpu + computeGpu + gpuRuntime,
    ramBytes: runtime + weightsRam + kvRam + computeRam,
    ramLoadedBytes: RUNTIME_LOADED_RAM_BYTES + backendRam + weightsRam + kvRam,
    parts: {
      runtime,
      weightsRam,
      weightsRepacked: placement.repackedBytes,
      weightsGpu,
      kvRam,
      kvGpu,
      computeRam,
      computeGpu,
      gpuRuntime,
    },
  };
}
