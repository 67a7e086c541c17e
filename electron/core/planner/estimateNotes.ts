import { formatGb, MIB } from '../../../shared/board.js';
import type { MemoryEstimate, PlanShape } from './estimate.js';
import type { ModelProfile } from './modelProfile.js';

/** What a plan's estimate rests on, for the operator: the CPU build's repacking, and what only a GPU could show. */
export function estimateNotes(model: ModelProfile, shape: PlanShape, estimate: MemoryEstimate): string[] {
  const notes: string[] = [];
  const repacked = estimate.parts.weightsRepacked;
  const mb = (bytes: number) => (bytes >= 1024 * MIB ? formatGb(bytes) : `${Math.round(bytes / MIB)} MB`);
  if (!model.cpu?.known) {
    notes.push(
      "the CPU's features are unknown (no cpuinfo): the RAM estimate assumes llama.cpp repacks every weight that " +
        `some CPU build repacks${repacked > 0 ? ` (${mb(repacked)} of copies)` : ''}, an upper bound`,
    );
  } else if (repacked > 0) {
    notes.push(
      `llama.cpp's ${model.cpu.variant} CPU build repacks ${mb(repacked)} of weights into anonymous memory; the mapped ` +
        'file pages they were read from stay resident too, and both are counted',
    );
  }
  if (model.cpu?.amx) notes.push("llama.cpp's AMX weight buffer (this CPU has AMX) is not modelled");
  if (shape.gpuLayers > 0) {
    notes.push(
      'the GPU side is estimated from llama.cpp and CUDA usual sizes, not measured (no GPU where this was built): the ' +
        "CUDA context, cuBLAS workspaces and pinned buffers; and, read from llama.cpp's source, CPU-side weights used " +
        'from the mapped file without repacking, because with a GPU backend loaded llama.cpp prefers its host buffer type',
    );
  }
  return notes;
}
