import type { InstanceLimit } from '../../../shared/plan.js';
import { estimateMemory, type PlanShape } from './estimate.js';
import { CONTEXT_STEP, MIN_CONTEXT, ownUse, shapeOf } from './fit.js';
import type { ModelProfile } from './modelProfile.js';
import type { PlanRequestInstance } from './planner.js';
import type { SeedConfig } from './seed.js';

/**
 * The shapes the planner starts from, and the smallest it can end with: the seed and manual plans are fixed, a fit
 * plan starts at its desired context and shrinks. The least RAM limit an instance may have is that smallest plan's
 * estimate, which the panel and a settings change check a new limit against before the plan is ever refused.
 */

const DEFAULT_CONTEXT = 4096;

/** The context a fit starts from: the operator's (default 4096), within the model's own, and 512 at least. */
export function desiredContext(profile: ModelProfile, requested: number | undefined): number {
  return Math.max(
    Math.min(MIN_CONTEXT, profile.trainContextSize ?? MIN_CONTEXT),
    Math.min(requested ?? DEFAULT_CONTEXT, profile.trainContextSize ?? DEFAULT_CONTEXT),
  );
}

/** GPU layers an instance may have at most: its model's, or fewer after a GPU-threshold kill. */
export function layerCap(instance: PlanRequestInstance): number {
  return Math.min(instance.model.totalLayers, instance.maxGpuLayers ?? Infinity);
}

/** A seed or manual plan's shape (the seed's context raised to the prompts' floor); null for a fit plan. */
export function fixedShape(
  instance: PlanRequestInstance,
  seed: SeedConfig,
  gpuUsable: boolean,
  floorContext: number,
): PlanShape | null {
  if (instance.strategy === 'seed') {
    return {
      gpuLayers: gpuUsable ? Math.min(seed.gpuLayers, layerCap(instance)) : 0,
      contextSize: Math.max(seed.contextSize, floorContext),
      batchSize: seed.batchSize,
    };
  }
  if (instance.strategy === 'manual') {
    const manual = instance.manual ?? { gpuLayers: 0, contextSize: 2048 };
    return {
      gpuLayers: Math.min(manual.gpuLayers, layerCap(instance)),
      contextSize: manual.contextSize,
      batchSize: Math.min(512, manual.contextSize),
    };
  }
  return null;
}

/** Where the fit's context shrinking stops: steps of CONTEXT_STEP down from `start`, not below 512 nor the floor. */
export function smallestContext(start: number, floorContext: number): number {
  const bottom = Math.max(MIN_CONTEXT, floorContext);
  return start - Math.max(0, Math.floor((start - bottom) / CONTEXT_STEP)) * CONTEXT_STEP;
}

/**
 * The estimate of the smallest plan an instance can have, as it counts against its own limit: a fixed plan's own;
 * a fit's at its smallest context with every layer the GPU can take offloaded (the fit offloads before it shrinks).
 */
export function leastOwnUse(
  instance: PlanRequestInstance,
  options: {
    fixed: PlanShape | null;
    floorContext: number;
    contextSize: number | undefined;
    gpuUsable: boolean;
    unified: boolean;
  },
): number {
  const own = (shape: PlanShape) => ownUse(estimateMemory(instance.model, shape), options.unified);
  if (options.fixed) return own(options.fixed);
  const start = Math.max(desiredContext(instance.model, options.contextSize), options.floorContext);
  const context = smallestContext(start, options.floorContext);
  const cpuOnly = own(shapeOf(0, context));
  return options.gpuUsable ? Math.min(cpuOnly, own(shapeOf(layerCap(instance), context))) : cpuOnly;
}

export function instanceLimit(instance: PlanRequestInstance, leastBytes: number | null): InstanceLimit {
  return { instance: instance.role, ramLimitBytes: instance.ramLimitBytes, leastBytes };
}
