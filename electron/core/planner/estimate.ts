import { MIB } from '../../../shared/board.js';
import type { MemoryFigures } from '../../../shared/plan.js';
import type { ModelProfile } from './modelProfile.js';

/**
 * Memory an instance will use under a plan, from its model's tensors. llama.cpp keeps the input embedding on the
 * CPU, offloads the last `gpuLayers` repeating layers (and the output layer when `gpuLayers` exceeds the repeating
 * ones), and keeps each layer's KV cache and compute buffers where the layer runs.
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
/** Compute buffers hold f32 activations. */
const F32 = 4;

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
 * Activations of one micro-batch: the feed-forward intermediates (gate and up) and a few residual-stream tensors.
 * Attention runs as flash attention (llama.cpp's default where the backend has it), so no context x context matrix.
 */
export function computeBytes(model: ModelProfile, batchSize: number, contextSize: number): number {
  const ubatch = Math.max(1, Math.min(batchSize, contextSize));
  return ubatch * F32 * (2 * model.feedForward + 4 * model.embedding) + model.vocabSize * F32;
}

export function estimateMemory(model: ModelProfile, shape: PlanShape): MemoryEstimate {
  const { repeating, output } = offloadedLayers(model, shape.gpuLayers);
  const firstGpuLayer = model.blockCount - repeating;
  let weightsGpu = output ? model.outputBytes : 0;
  let weightsRam = model.inputBytes + (output ? 0 : model.outputBytes);
  model.layerBytes.forEach((bytes, index) => {
    if (index >= firstGpuLayer) weightsGpu += bytes;
    else weightsRam += bytes;
  });
  const kvLayer = kvBytesPerLayer(model, shape.contextSize);
  const kvGpu = kvLayer * repeating;
  const kvRam = kvLayer * (model.blockCount - repeating);
  const compute = computeBytes(model, shape.batchSize, shape.contextSize);
  const onGpu = shape.gpuLayers > 0;
  const computeGpu = onGpu ? compute : 0;
  // With every layer offloaded the CPU still embeds the input; a small fraction of the buffer.
  const computeRam = repeating === model.blockCount && onGpu ? Math.ceil(compute / 8) : compute;
  const backendRam = onGpu ? GPU_BACKEND_RAM_BYTES : 0;
  const runtime = RUNTIME_RAM_BYTES + backendRam;
  const gpuRuntime = onGpu ? GPU_CONTEXT_BYTES : 0;
  return {
    gpuBytes: weightsGpu + kvGpu + computeGpu + gpuRuntime,
    ramBytes: runtime + weightsRam + kvRam + computeRam,
    ramLoadedBytes: RUNTIME_LOADED_RAM_BYTES + backendRam + weightsRam + kvRam,
    parts: { runtime, weightsRam, weightsGpu, kvRam, kvGpu, computeRam, computeGpu, gpuRuntime },
  };
}
