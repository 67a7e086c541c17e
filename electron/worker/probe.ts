/**
 * Asks node-llama-cpp which llama.cpp backend it can use here and what VRAM it sees, in a process of its own: a
 * broken GPU driver may crash whoever loads it, and that must not be the host. Prints one JSON line.
 */
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

import type { BackendInfo } from '../../shared/board.js';
import { llamaLoadOptions } from '../core/board/llamaDiscovery.js';

try {
  // The binary a worker with GPU layers would load (a local CUDA build with its CMake options, say), not node-llama-cpp's
  // own 'auto' choice, which never looks at builds made with custom options.
  const { gpu, cmakeOptions } = llamaLoadOptions(true);
  const llama = await getLlama({
    build: 'never',
    gpu,
    ...(cmakeOptions ? { cmakeOptions } : {}),
    logLevel: LlamaLogLevel.error,
  });
  const vram = await llama.getVramState();
  const info: BackendInfo = {
    backend: llama.gpu === false ? 'cpu' : llama.gpu,
    vramTotalBytes: vram.total,
    vramUsedBytes: vram.used,
    note: null,
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.exit(0);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
}
