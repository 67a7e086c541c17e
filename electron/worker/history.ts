/**
 * Chooses which earlier reflections go into the prompt: the most recent ones whose tokens fit the room the context
 * leaves after the system prompt, the new prompt and the reply. Pure, so it is tested without a model.
 */
export interface HistoryBudget {
  contextSize: number;
  /** Tokens reserved for the reply. */
  maxTokens: number;
  systemTokens: number;
  promptTokens: number;
  /** Tokens the chat template adds around each turn (role markers, separators). */
  perTurnOverhead: number;
}

export function trimHistory(tokenCounts: readonly number[], budget: HistoryBudget): number {
  // Keep a tenth of the context free: templates differ, and an overflow mid-reply costs more than one memory.
  const room =
    Math.floor(budget.contextSize * 0.9) -
    budget.maxTokens -
    budget.systemTokens -
    budget.promptTokens -
    2 * budget.perTurnOverhead;
  let used = 0;
  let kept = 0;
  for (let i = tokenCounts.length - 1; i >= 0; i--) {
    // Each memory is a past turn: the prompt that asked for it and the reflection itself.
    const cost = tokenCounts[i]! + budget.promptTokens + 2 * budget.perTurnOverhead;
    if (used + cost > room) break;
    used += cost;
    kept++;
  }
  return kept;
}
