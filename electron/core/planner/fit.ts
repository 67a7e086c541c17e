import { gbApart } from '../../../shared/limitFigures.js';
import { estimateMemory, type MemoryEstimate, type PlanShape } from './estimate.js';
import type { ModelProfile } from './modelProfile.js';

/**
 * The fit strategy: the most GPU layers, and the largest context, that fit every instance running at once inside
 * the shared GPU budget while each instance stays inside its own RAM limit. On unified memory (a Jetson) the GPU
 * budget and the RAM are one pool: an instance's limit bounds RAM + GPU together, and so does the pool.
 * Contexts shrink in steps of 256, not below 512 nor below what a member's prompts need, before an instance is
 * refused. Seed and manual plans are fixed and are not members here: they take their share of the budget first.
 * Pure: data in, data out.
 */

export const CONTEXT_STEP = 256;
export const MIN_CONTEXT = 512;
const MAX_BATCH = 512;

export interface FitMember {
  model: ModelProfile;
  limitBytes: number;
  /** Desired context before any shrinking. */
  contextSize: number;
  /** Never shrunk below this (the context its prompts need, contextFloor.ts); MIN_CONTEXT at least. */
  minContext?: number;
  /** At most this many GPU layers (the model's count, or less after a GPU-threshold kill). */
  maxLayers: number;
}

export interface FitBudget {
  /** Memory all members may use through the GPU together (the pool, on unified memory). Null: no usable GPU. */
  gpuBytes: number | null;
  unified: boolean;
  /** Why there is no usable GPU, for the plan's limitedBy. */
  noGpuReason: string;
}

export interface FitResult {
  shape: PlanShape;
  estimate: MemoryEstimate;
  limitedBy: string;
}

export type FitOutcome =
  | { ok: true; members: FitResult[] }
  | { ok: false; code: 'MODEL_TOO_LARGE' | 'PLAN_DOES_NOT_FIT'; member: number | null; message: string };

const GB = 2 ** 30;
const gb = (bytes: number) => `${(bytes / GB).toFixed(1)} GB`;

export function shapeOf(gpuLayers: number, contextSize: number): PlanShape {
  return { gpuLayers, contextSize, batchSize: Math.min(MAX_BATCH, contextSize) };
}

/** What counts against an instance's own limit: its RAM, or on unified memory its whole footprint. */
export function ownUse(estimate: MemoryEstimate, unified: boolean): number {
  return unified ? estimate.ramBytes + estimate.gpuBytes : estimate.ramBytes;
}

/** What counts against the shared GPU budget: GPU memory, or on unified memory the whole footprint. */
export function sharedUse(estimate: MemoryEstimate, unified: boolean): number {
  return unified ? estimate.ramBytes + estimate.gpuBytes : estimate.gpuBytes;
}

export function fitMembers(members: readonly FitMember[], budget: FitBudget): FitOutcome {
  const gpuUsable = budget.gpuBytes !== null;
  const layers = members.map(() => 0);
  const contexts = members.map((member) => member.contextSize);
  const shrunk = members.map(() => '');
  const estimate = (index: number) => estimateMemory(members[index]!.model, shapeOf(layers[index]!, contexts[index]!));
  const fitsOwn = (index: number) => ownUse(estimate(index), budget.unified) <= members[index]!.limitBytes;
  const sharedTotal = () => members.reduce((sum, _, index) => sum + sharedUse(estimate(index), budget.unified), 0);
  const fitsShared = () => budget.gpuBytes === null || sharedTotal() <= budget.gpuBytes;
  const canShrink = (index: number) =>
    contexts[index]! - CONTEXT_STEP >= Math.max(MIN_CONTEXT, members[index]!.minContext ?? 0);

  // 1. Each instance inside its own limit: offload, then shrink its context. Offloading comes first because with a GPU
  // backend loaded llama.cpp repacks no CPU-side weights (estimate.ts), so one GPU layer can free more than the whole
  // context would; on a discrete GPU every layer also moves its weights out of RAM.
  for (let index = 0; index < members.length; index++) {
    const member = members[index]!;
    if (gpuUsable) {
      while (!fitsOwn(index) && layers[index]! < member.maxLayers) layers[index]! += 1;
    }
    while (!fitsOwn(index) && canShrink(index)) {
      contexts[index]! -= CONTEXT_STEP;
      shrunk[index] = 'RAM limit';
    }
    if (!fitsOwn(index)) {
      const cpuOnly = estimateMemory(member.model, shapeOf(0, contexts[index]!));
      const figures = gbApart(member.limitBytes, ownUse(cpuOnly, budget.unified));
      return {
        ok: false,
        code: 'MODEL_TOO_LARGE',
        member: index,
        message:
          `${member.model.name} needs ${figures.higher} with every layer on the CPU and a context ` +
          `of ${contexts[index]}, more than its RAM limit of ${figures.lower}`,
      };
    }
  }

  // 2. Together inside the shared budget (the pool, on unified memory): shrink the largest context first.
  while (!fitsShared()) {
    let largest = -1;
    for (let index = 0; index < members.length; index++) {
      if (!canShrink(index)) continue;
      if (largest === -1 || contexts[index]! > contexts[largest]!) largest = index;
    }
    if (largest === -1) {
      return {
        ok: false,
        code: 'PLAN_DOES_NOT_FIT',
        member: null,
        message:
          `the instances need ${gb(sharedTotal())} together, more than the ${budget.unified ? 'shared memory' : 'GPU'} ` +
          `budget of ${gb(budget.gpuBytes ?? 0)}`,
      };
    }
    contexts[largest]! -= CONTEXT_STEP;
    shrunk[largest] = budget.unified ? 'shared memory budget' : 'GPU budget';
  }

  // 3. GPU layers, one at a time round the instances, while everything still fits.
  const stoppedBy = members.map(() => (gpuUsable ? '' : budget.noGpuReason));
  if (gpuUsable) {
    let grew = true;
    while (grew) {
      grew = false;
      for (let index = 0; index < members.length; index++) {
        if (stoppedBy[index] !== '') continue;
        if (layers[index]! >= members[index]!.maxLayers) {
          const total = members[index]!.model.totalLayers;
          stoppedBy[index] =
            members[index]!.maxLayers < total
              ? `GPU layers capped at ${members[index]!.maxLayers}`
              : `model has only ${total} layers`;
          continue;
        }
        layers[index]! += 1;
        if (!fitsOwn(index)) {
          layers[index]! -= 1;
          stoppedBy[index] = 'RAM limit';
        } else if (!fitsShared()) {
          layers[index]! -= 1;
          stoppedBy[index] = budget.unified ? 'shared memory budget' : 'GPU budget';
        } else {
          grew = true;
        }
      }
    }
  }

  return {
    ok: true,
    members: members.map((member, index) => {
      const shape = shapeOf(layers[index]!, contexts[index]!);
      const reasons = [stoppedBy[index]!];
      if (shrunk[index]) reasons.push(`context cut to ${contexts[index]} by the ${shrunk[index]}`);
      return { shape, estimate: estimate(index), limitedBy: reasons.filter((reason) => reason !== '').join('; ') };
    }),
  };
}
