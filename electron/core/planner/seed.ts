import { GIB, MIB, type BoardResources } from '../../../shared/board.js';

/**
 * The original's configuration, exactly (src/utils/model_config.py): GPU layers, context and batch by the GPU's
 * memory in tiers, threads by cores, two RAM rules, and on a Jetson a fixed preset by the number of models running.
 * It does not look at the model. Always mmap on, mlock off.
 */

export interface SeedConfig {
  gpuLayers: number;
  contextSize: number;
  batchSize: number;
  threads: number;
  /** The original's own words for it, as `model_config` printed. */
  mode: string;
}

type Tier = readonly [minMb: number, layers: number, context: number, batch: number];

const CONSERVATIVE: readonly Tier[] = [
  [16000, 25, 4096, 512],
  [8000, 15, 2048, 256],
  [4000, 8, 2048, 128],
  [0, 0, 1024, 128],
];
const AGGRESSIVE: readonly Tier[] = [
  [16000, 35, 8192, 512],
  [8000, 25, 4096, 512],
  [4000, 15, 2048, 256],
  [0, 8, 2048, 128],
];

export function seedThreads(cores: number): number {
  if (cores >= 12) return 6;
  if (cores >= 8) return 4;
  if (cores >= 4) return 2;
  return 1;
}

/** The Jetson preset: 3 models at once -> CPU only, 2 -> 12 layers, 1 -> 25; context 2048, batch 256, 6 threads. */
export function jetsonPreset(concurrentModels: number): SeedConfig {
  const gpuLayers = concurrentModels >= 3 ? 0 : concurrentModels === 2 ? 12 : 25;
  const mode =
    concurrentModels >= 3
      ? 'Jetson preset: CPU only for stability with 3 models'
      : concurrentModels === 2
        ? 'Jetson preset: 12 GPU layers for 2 concurrent models'
        : 'Jetson preset: 25 GPU layers for a single model';
  return { gpuLayers, contextSize: 2048, batchSize: 256, threads: 6, mode };
}

export function seedConfig(
  resources: BoardResources,
  options: { aggressive: boolean; concurrentModels: number },
): SeedConfig {
  if (resources.gpu.kind === 'jetson') return jetsonPreset(options.concurrentModels);

  let gpuLayers = 0;
  let contextSize = 2048;
  let batchSize = 256;
  let mode = resources.gpu.kind === 'nvidia' ? 'CPU Only' : 'CPU Only (No GPU detected)';
  const gpuMb =
    resources.gpu.kind === 'nvidia' && resources.gpu.memoryTotalBytes ? resources.gpu.memoryTotalBytes / MIB : 0;
  if (gpuMb > 0) {
    const tiers = options.aggressive ? AGGRESSIVE : CONSERVATIVE;
    const tier = tiers.find(([minMb]) => gpuMb >= minMb)!;
    [, gpuLayers, contextSize, batchSize] = tier;
    // The original printed "Conservative" whichever tiers it used.
    mode = gpuLayers > 0 ? 'Hybrid CPU+GPU (Conservative)' : 'CPU Only';
  }
  const ramGb = resources.ramTotalBytes / GIB;
  if (ramGb < 8) {
    contextSize = Math.min(contextSize, 1024);
    batchSize = Math.min(batchSize, 128);
  }
  if (ramGb >= 32) contextSize = Math.max(contextSize, 2048);
  return { gpuLayers, contextSize, batchSize, threads: seedThreads(resources.cores), mode };
}
