import { MIB, formatGb, type BoardResources } from '../../../shared/board.js';
import type { Role } from '../../../shared/instances.js';
import type { InstancePlan, LimitBudget, Plan, PlanBudgets, PlanOutcome, Strategy } from '../../../shared/plan.js';
import { gbApart } from '../../../shared/limitFigures.js';
import { architectureWarning } from '../gguf/architectures.js';
import { checkRamBudget } from './budget.js';
import { contextFloor, modelContextProblem, tooSmallMessage, type ContextFloor } from './contextFloor.js';
import { estimateMemory } from './estimate.js';
import { estimateNotes } from './estimateNotes.js';
import { fitMembers, ownUse, sharedUse, type FitMember, type FitResult } from './fit.js';
import type { ModelProfile } from './modelProfile.js';
import { desiredContext, fixedShape, instanceLimit, layerCap, leastOwnUse } from './planShapes.js';
import { cpuBuildFor } from './repack.js';
import { seedConfig } from './seed.js';

/**
 * Makes the offload plan of every instance that will run, before anything loads: checks the RAM budget, applies each
 * instance's strategy (seed and manual plans are fixed and take their share first; fit plans share what is left),
 * and says for each what limited it. Pure: the board and the models in, the plan or a clear refusal out.
 */

export interface PlanRequestInstance {
  role: Role;
  model: ModelProfile;
  ramLimitBytes: number;
  strategy: Strategy;
  /** The operator's numbers, for the manual strategy. */
  manual?: { gpuLayers: number; contextSize: number };
  /** At most this many GPU layers, whatever the strategy (set after a GPU-threshold kill). */
  maxGpuLayers?: number;
}

export interface PlanRequest {
  resources: BoardResources;
  instances: PlanRequestInstance[];
  /** The GPU threshold in percent: the fit keeps GPU use under it. */
  gpuThresholdPercent: number;
  reserveBytes: number;
  /** Context the fit starts from (it may shrink); default min(4096, the model's own). */
  contextSize?: number;
  /** The seed strategy's aggressive tiers. */
  aggressive?: boolean;
  /** GPU and RAM our own running workers hold now, so that a re-plan does not count them as someone else's. */
  ownUse?: { gpuBytes: number; ramBytes: number };
}

const MAX_FIT_THREADS = 8;

/** Safety margin under the GPU threshold: the larger of 256 MB and 2% of the memory. */
function gpuMargin(totalBytes: number): number {
  return Math.max(256 * MIB, totalBytes * 0.02);
}

export function budgetsOf(request: PlanRequest, limits: number[]): PlanBudgets {
  const { resources } = request;
  const own = request.ownUse ?? { gpuBytes: 0, ramBytes: 0 };
  const unified = resources.gpu.unified;
  const base: Omit<PlanBudgets, 'gpuBudgetBytes' | 'gpuOthersBytes'> = {
    ramTotalBytes: resources.ramTotalBytes,
    reserveBytes: request.reserveBytes,
    limitsTotalBytes: limits.reduce((sum, limit) => sum + limit, 0),
    unified,
  };
  const total = unified ? resources.ramTotalBytes : resources.gpu.memoryTotalBytes;
  if (!gpuUsable(resources).ok || total === null) return { ...base, gpuBudgetBytes: null, gpuOthersBytes: 0 };
  const used = unified ? resources.ramTotalBytes - resources.ramAvailableBytes : (resources.gpu.memoryUsedBytes ?? 0);
  const others = Math.max(0, used - (unified ? own.ramBytes + own.gpuBytes : own.gpuBytes));
  const budget = Math.max(0, total * (request.gpuThresholdPercent / 100) - gpuMargin(total) - others);
  return { ...base, gpuBudgetBytes: Math.floor(budget), gpuOthersBytes: others };
}

/** Whether llama.cpp can put layers on a GPU here, and if not, why not (the plan says so). */
export function gpuUsable(resources: BoardResources): { ok: boolean; reason: string } {
  if (resources.gpu.kind === 'none') return { ok: false, reason: 'no GPU' };
  if (resources.backend && resources.backend.backend === 'cpu') {
    return { ok: false, reason: "node-llama-cpp's llama.cpp build here is CPU only" };
  }
  if (!resources.gpu.unified && !resources.gpu.memoryTotalBytes) {
    return { ok: false, reason: 'the GPU does not report its memory' };
  }
  return { ok: true, reason: '' };
}

function fitThreads(cores: number, running: number): number {
  return Math.max(1, Math.min(MAX_FIT_THREADS, Math.floor((cores - 1) / Math.max(1, running))));
}

export function makePlan(request: PlanRequest): PlanOutcome {
  const { resources } = request;
  // Every model is estimated for the llama.cpp CPU build that loads on this board: what it repacks depends on it.
  const cpu = cpuBuildFor(resources.cpu);
  const instances = request.instances.map((instance) => ({ ...instance, model: { ...instance.model, cpu } }));
  const usable = gpuUsable(resources);
  const floors = instances.map((instance) => contextFloor(instance.model, instance.role));
  const seed = seedConfig(resources, { aggressive: request.aggressive ?? false, concurrentModels: instances.length });
  const fixed = instances.map((instance, index) => fixedShape(instance, seed, usable.ok, floors[index]?.floor ?? 0));
  const limitBudget: LimitBudget = {
    ramTotalBytes: resources.ramTotalBytes,
    reserveBytes: request.reserveBytes,
    instances: instances.map((instance, index) =>
      instanceLimit(
        instance,
        leastOwnUse(instance, {
          fixed: fixed[index] ?? null,
          floorContext: floors[index]?.floor ?? 0,
          contextSize: request.contextSize,
          gpuUsable: usable.ok,
          unified: resources.gpu.unified,
        }),
      ),
    ),
  };
  const refuse = (code: Extract<PlanOutcome, { ok: false }>['error']['code'], message: string, field?: string) => {
    const error: Extract<PlanOutcome, { ok: false }>['error'] = { code, message };
    if (field !== undefined) error.field = field;
    return { ok: false as const, resources, error, limits: limitBudget };
  };

  const limits = instances.map((instance) => instance.ramLimitBytes);
  const budgetCheck = checkRamBudget(limits, resources.ramTotalBytes, request.reserveBytes);
  if (!budgetCheck.ok) return refuse('BUDGET_EXCEEDED', budgetCheck.message, 'ramLimits');
  const budgets = budgetsOf(request, limits);

  // Every role's context holds its prompts: a model whose own context cannot is refused before anything else.
  for (const [index, floor] of floors.entries()) {
    const problem = floor && modelContextProblem(floor);
    if (problem)
      return refuse('CONTEXT_TOO_SMALL', `${instances[index]!.role}: ${problem}`, `models.${instances[index]!.role}`);
  }
  // The seed's context was raised to the floor in its fixed shape; a fit's is raised below, as it is set.
  const raised = instances.map(
    (instance, index) => instance.strategy === 'seed' && seed.contextSize < (floors[index]?.floor ?? 0),
  );
  /** A context raised to the floor where it is below it (seed and fit plans: the operator did not set it). */
  const atLeastFloor = (index: number, context: number): number => {
    const floor = floors[index]?.floor ?? 0;
    if (context >= floor) return context;
    raised[index] = true;
    return floor;
  };
  for (const [index, instance] of instances.entries()) {
    const floor = floors[index];
    const shape = fixed[index];
    if (instance.strategy === 'manual' && floor && shape && shape.contextSize < floor.prompts.neededContext) {
      const fix = `set its manual context to at least ${floor.prompts.neededContext}`;
      return refuse(
        'CONTEXT_TOO_SMALL',
        `${instance.role}: ${tooSmallMessage(floor, shape.contextSize, fix)}`,
        `${instance.role}.contextSize`,
      );
    }
  }
  const warnings = instances.map((): string[] => []);
  const results: Array<FitResult | null> = instances.map(() => null);

  // Seed and manual plans are fixed: they take their share of the budget first.
  let fixedShared = 0;
  for (const [index, instance] of instances.entries()) {
    const shape = fixed[index];
    if (!shape) continue;
    const estimate = estimateMemory(instance.model, shape);
    const own = ownUse(estimate, budgets.unified);
    fixedShared += sharedUse(estimate, budgets.unified);
    results[index] = { shape, estimate, limitedBy: '' };
    if (instance.strategy === 'manual') {
      // The operator's own numbers are checked, not silently changed.
      if (shape.gpuLayers > 0 && !usable.ok) {
        return refuse(
          'PLAN_DOES_NOT_FIT',
          `${instance.role}: ${shape.gpuLayers} GPU layers asked, but ${usable.reason}`,
          `${instance.role}.gpuLayers`,
        );
      }
      if (own > instance.ramLimitBytes) {
        const figures = gbApart(instance.ramLimitBytes, own);
        return refuse(
          'PLAN_DOES_NOT_FIT',
          `${instance.role}: ${shape.gpuLayers} GPU layers and a context of ${shape.contextSize} need ${figures.higher}, ` +
            `more than its RAM limit of ${figures.lower}`,
          `${instance.role}.contextSize`,
        );
      }
    } else if (own > instance.ramLimitBytes) {
      const figures = gbApart(instance.ramLimitBytes, own);
      warnings[index]!.push(`needs about ${figures.higher}, over its RAM limit of ${figures.lower}`);
    }
  }
  if (budgets.gpuBudgetBytes !== null && fixedShared > budgets.gpuBudgetBytes) {
    const message =
      `the fixed plans need ${formatGb(fixedShared)} of ${budgets.unified ? 'shared memory' : 'GPU memory'}, ` +
      `more than the budget of ${formatGb(budgets.gpuBudgetBytes)}`;
    const manual = instances.findIndex(
      (instance, index) => instance.strategy === 'manual' && (fixed[index]?.gpuLayers ?? 0) > 0,
    );
    if (manual !== -1)
      return refuse(
        'PLAN_DOES_NOT_FIT',
        `${instances[manual]!.role}: ${message}`,
        `${instances[manual]!.role}.gpuLayers`,
      );
    instances.forEach((instance, index) => {
      if (instance.strategy === 'seed') warnings[index]!.push(message);
    });
  }

  // The fit plans share what is left.
  const free = instances.flatMap((_, index) => (fixed[index] ? [] : [index]));
  const members: FitMember[] = free.map((index) => ({
    model: instances[index]!.model,
    limitBytes: instances[index]!.ramLimitBytes,
    contextSize: atLeastFloor(index, desiredContext(instances[index]!.model, request.contextSize)),
    minContext: floors[index]?.floor ?? 0,
    maxLayers: layerCap(instances[index]!),
  }));
  const fit = fitMembers(members, {
    gpuBytes: budgets.gpuBudgetBytes === null ? null : Math.max(0, budgets.gpuBudgetBytes - fixedShared),
    unified: budgets.unified,
    noGpuReason: usable.reason,
  });
  if (!fit.ok) {
    const role = fit.member === null ? null : instances[free[fit.member]!]!.role;
    return refuse(fit.code, `${role ? `${role}: ` : ''}${fit.message}`, role ? `${role}.ramLimit` : undefined);
  }
  fit.members.forEach((result, position) => {
    results[free[position]!] = result;
  });

  const threads = fitThreads(resources.cores, instances.length);
  const plans: InstancePlan[] = instances.map((instance, index) => {
    const result = results[index]!;
    const { gpuBytes, ramBytes, ramLoadedBytes } = result.estimate;
    let limitedBy = result.limitedBy;
    if (
      instance.maxGpuLayers !== undefined &&
      result.shape.gpuLayers >= instance.maxGpuLayers &&
      instance.maxGpuLayers < instance.model.totalLayers
    ) {
      limitedBy = `GPU layers cut to ${instance.maxGpuLayers} after a GPU-threshold kill`;
    } else if (instance.strategy === 'seed') {
      limitedBy = `seed: ${seed.mode}`;
      if (seed.gpuLayers > instance.model.totalLayers && usable.ok)
        limitedBy += `; model has only ${instance.model.totalLayers} layers`;
    } else if (instance.strategy === 'manual') {
      limitedBy = 'manual: the operator set it';
    }
    if (raised[index]) limitedBy = withReason(limitedBy, raisedReason(floors[index]!));
    const warning = architectureWarning(instance.model.architecture);
    const floor = floors[index];
    return {
      instance: instance.role,
      strategy: instance.strategy,
      modelPath: instance.model.path,
      modelName: instance.model.name,
      gpuLayers: result.shape.gpuLayers,
      totalLayers: instance.model.totalLayers,
      contextSize: result.shape.contextSize,
      batchSize: result.shape.batchSize,
      threads: instance.strategy === 'seed' ? seed.threads : threads,
      useMmap: true,
      useMlock: false,
      estimate: { gpuBytes, ramBytes, ramLoadedBytes },
      ramLimitBytes: instance.ramLimitBytes,
      limitedBy,
      warnings: warning ? [...warnings[index]!, warning] : warnings[index]!,
      notes: estimateNotes(instance.model, result.shape, result.estimate),
      ...(floor ? { prompts: floor.prompts } : {}),
    };
  });
  const plan: Plan = { resources, budgets, instances: plans };
  return { ok: true, plan, limits: limitBudget };
}

function withReason(limitedBy: string, reason: string): string {
  return limitedBy === '' ? reason : `${limitedBy}; ${reason}`;
}

function raisedReason(floor: ContextFloor): string {
  return `context raised to ${floor.floor} to hold the prompts (${floor.prompts.neededContext} tokens needed)`;
}
