/**
 * What a context must hold for a mind to think: the system prompt, the prompt of a reflection at its shortest
 * (prompts.ts), what the chat template wraps around them, and a reflection of useful length, with a tenth of the
 * context kept free (templates differ, and an overflow mid-reply costs more than a memory). The planner sizes
 * contexts with these numbers before anything loads; the worker checks them with the model's own tokenizer at load
 * and budgets every reply with them. Pure arithmetic on token counts.
 */

/** The shortest reflection worth asking for when a context is planned: a few sentences. */
export const USEFUL_REFLECTION_TOKENS = 128;
/** Tokens a chat template adds around each turn (role markers, separators), as an allowance. */
export const TURN_OVERHEAD_TOKENS = 16;
/** The template's allowance for one reflection: system prompt, question, reply, and one turn spare. */
export const TEMPLATE_ALLOWANCE_TOKENS = 4 * TURN_OVERHEAD_TOKENS;

export interface PromptNeeds {
  systemTokens: number;
  promptTokens: number;
  /** What the chat template adds (measured at load; TEMPLATE_ALLOWANCE_TOKENS when planning). */
  templateTokens: number;
  reflectionTokens: number;
}

/** The part of a context the prompts and the reply may use: nine tenths. */
export function usableTokens(contextSize: number): number {
  return Math.floor((contextSize * 9) / 10);
}

/** Tokens left for the reply in a context, beside the system prompt, the prompt and the template. */
export function replyRoom(contextSize: number, needs: Omit<PromptNeeds, 'reflectionTokens'>): number {
  return usableTokens(contextSize) - needs.systemTokens - needs.promptTokens - needs.templateTokens;
}

/** The smallest context whose usable part holds the prompts, the template and the reflection. */
export function neededContext(needs: PromptNeeds): number {
  const total = needs.systemTokens + needs.promptTokens + needs.templateTokens + needs.reflectionTokens;
  return Math.ceil((total * 10) / 9);
}
