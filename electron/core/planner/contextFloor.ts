import { ROLES, type Role } from '../../../shared/instances.js';
import type { PlannedPrompts, PromptCounting } from '../../../shared/plan.js';
import type { GgufHeader } from '../gguf/readGguf.js';
import { tokenCounter } from '../gguf/vocabulary.js';
import { neededContext, TEMPLATE_ALLOWANCE_TOKENS, USEFUL_REFLECTION_TOKENS } from '../../worker/promptFit.js';
import { shortestPrompts } from '../../worker/prompts.js';
import { CONTEXT_STEP } from './fit.js';
import type { ModelProfile } from './modelProfile.js';

/**
 * The smallest context a role's mind can think in: its system prompt and the prompt of a reflection at their
 * shortest (prompts.ts, at PLANNED_DEATHS), counted with the model's vocabulary (vocabulary.ts), plus the chat
 * template's allowance and a reflection of useful length, with a tenth kept free (promptFit.ts). A plan never gives
 * a role less; where the model allows less, the plan is refused before anything loads.
 */

/** Each role's prompt tokens in one model, and how they were counted. */
export interface ModelPromptTokens {
  counting: PromptCounting;
  byRole: Record<Role, number>;
}

export function countPromptTokens(header: GgufHeader): ModelPromptTokens {
  const counter = tokenCounter(header);
  const entries = ROLES.map((role) => {
    const { system, prompt } = shortestPrompts(role);
    // One more for the BOS token the session puts first.
    return [role, counter.count(system) + counter.count(prompt) + 1] as const;
  });
  return { counting: counter.counting, byRole: Object.fromEntries(entries) as Record<Role, number> };
}

export interface ContextFloor {
  prompts: PlannedPrompts;
  /** The context a plan gives at least: the needed one rounded up to a CONTEXT_STEP, within the model's own. */
  floor: number;
  /** The model's own context (its context_length), or null when it does not say. */
  modelMax: number | null;
}

/** The floor of a role's context in a model, or null where its prompts were not counted. */
export function contextFloor(model: ModelProfile, role: Role): ContextFloor | null {
  if (!model.promptTokens) return null;
  const tokens = model.promptTokens.byRole[role];
  const needed = neededContext({
    systemTokens: tokens,
    promptTokens: 0,
    templateTokens: TEMPLATE_ALLOWANCE_TOKENS,
    reflectionTokens: USEFUL_REFLECTION_TOKENS,
  });
  const modelMax = model.trainContextSize;
  const rounded = Math.ceil(needed / CONTEXT_STEP) * CONTEXT_STEP;
  return {
    prompts: {
      tokens,
      reflectionTokens: USEFUL_REFLECTION_TOKENS,
      neededContext: needed,
      counting: model.promptTokens.counting,
    },
    floor: modelMax === null ? rounded : Math.min(modelMax, rounded),
    modelMax,
  };
}

const COUNTED: Record<PromptCounting, string> = {
  exact: 'counted with its vocabulary',
  estimate: 'estimated from its vocabulary',
  bytes: 'counted as bytes: its vocabulary could not be read',
};

/** Why a context is too small, and what to change: a sentence after "ROLE: ". */
export function tooSmallMessage(floor: ContextFloor, context: number, fix: string): string {
  const { neededContext: needed, reflectionTokens, counting } = floor.prompts;
  return (
    `a context of ${context} tokens cannot hold its prompts (${needed} tokens needed with a ` +
    `${reflectionTokens}-token reflection, ${COUNTED[counting]}); ${fix}`
  );
}

/** The refusal for a model whose own context is too small, or null when it is large enough. */
export function modelContextProblem(floor: ContextFloor): string | null {
  if (floor.modelMax === null || floor.prompts.neededContext <= floor.modelMax) return null;
  return tooSmallMessage(
    floor,
    floor.modelMax,
    `the model allows at most ${floor.modelMax}: choose a model with a longer context`,
  );
}
