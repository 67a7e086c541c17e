import type { BoardResources } from './board.js';
import type { Role } from './instances.js';

/**
 * How an instance's offload plan is made:
 * - seed: the original's tiers by GPU memory (and its Jetson preset), for operators who trust it
 * - fit: the most GPU layers and context that fit every running instance together in the budgets (default)
 * - manual: the operator's numbers, checked and estimated the same way
 */
export const STRATEGIES = ['seed', 'fit', 'manual'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface MemoryFigures {
  /** Allocated through the GPU backend; on a Jetson this comes from the same RAM. */
  gpuBytes: number;
  /** Resident in the worker process while it thinks (its peak): what its RAM limit must hold. */
  ramBytes: number;
  /**
   * Resident in the worker process once the model is loaded, before the first prompt: the compute buffers are
   * reserved but not yet touched, and the JS heap has not grown.
   */
  ramLoadedBytes: number;
}

/** How a model is loaded: what the plan decides and what the worker reports back once loaded. */
export interface LoadShape {
  gpuLayers: number;
  totalLayers: number;
  contextSize: number;
  batchSize: number;
  threads: number;
  useMmap: boolean;
  useMlock: boolean;
}

/**
 * How the planner counted an instance's prompts: exact (the model's SentencePiece vocabulary, by llama.cpp's own
 * algorithm), estimate (another kind of vocabulary, by a greedy longest match over it), bytes (no vocabulary it could
 * read: the UTF-8 bytes, an upper bound). The worker counts again with the model's tokenizer when it loads.
 */
export type PromptCounting = 'exact' | 'estimate' | 'bytes';

/** What an instance's context must hold, as planned: its prompts at their shortest and a useful reflection. */
export interface PlannedPrompts {
  /** The system prompt and the shortest prompt of a reflection, in tokens. */
  tokens: number;
  reflectionTokens: number;
  /** The smallest context that holds them, with the chat template's allowance and a tenth kept free. */
  neededContext: number;
  counting: PromptCounting;
}

export interface InstancePlan extends LoadShape {
  instance: Role;
  strategy: Strategy;
  modelPath: string;
  modelName: string;
  estimate: MemoryFigures;
  /** The instance's RAM limit. On unified memory it bounds RAM + GPU together (one pool). */
  ramLimitBytes: number;
  /** What kept the plan from more: "GPU budget", "RAM limit", "model has only 33 layers", "no GPU", ... */
  limitedBy: string;
  /** Things the operator should know (a seed plan over its limit, say). */
  warnings: string[];
  /** How the estimate was made where that matters: what llama.cpp repacks on this CPU, what no GPU here could measure. */
  notes?: string[];
  /** What its context must hold (absent when the model's prompts were not counted). */
  prompts?: PlannedPrompts;
}

export interface PlanBudgets {
  ramTotalBytes: number;
  /** Kept for the system: never given to instances. */
  reserveBytes: number;
  /** Sum of the RAM limits of the instances that run. */
  limitsTotalBytes: number;
  /** GPU memory the instances may use together (x the GPU threshold, less a margin and what others use). */
  gpuBudgetBytes: number | null;
  /** GPU memory in use by others when the plan was made. */
  gpuOthersBytes: number;
  unified: boolean;
}

export interface Plan {
  resources: BoardResources;
  budgets: PlanBudgets;
  instances: InstancePlan[];
}

export type PlanErrorCode =
  | 'BUDGET_EXCEEDED'
  | 'MODEL_TOO_LARGE'
  | 'PLAN_DOES_NOT_FIT'
  | 'MODEL_INVALID'
  /** No context the model allows can hold an instance's prompts and a useful reflection. */
  | 'CONTEXT_TOO_SMALL';

/** What an instance's RAM limit is, and the least it may be: the figures the panel checks a new limit against. */
export interface InstanceLimit {
  instance: Role;
  /** The limit in force: the setting, or its default on this board. */
  ramLimitBytes: number;
  /**
   * The smallest plan its strategy can make, estimated (what counts against its own limit): a fit or seed plan with
   * the fewest resident layers and its smallest context, a manual plan as set. Below it no plan fits, and a change of
   * the limit to less is refused. Null when its model could not be read.
   */
  leastBytes: number | null;
}

/** The limits of the instances that run and what they share: known whether or not a plan could be made. */
export interface LimitBudget {
  ramTotalBytes: number;
  reserveBytes: number;
  instances: InstanceLimit[];
}

export type PlanOutcome = (
  | { ok: true; plan: Plan }
  | { ok: false; resources: BoardResources; error: { code: PlanErrorCode; message: string; field?: string } }
) & {
  /**
   * Every instance's limit and the least it may be, also when the plan is refused: one instance's refusal never
   * leaves the others without their limits. Absent in outcomes recorded before it was added.
   */
  limits?: LimitBudget;
};
