/**
 * The pause before a resurrection: the base pause after a death, doubled for every death in a row that came soon
 * after the start before it (a model that cannot load, a limit that kills at once), up to a ceiling.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** A life shorter than this counts toward the streak of quick deaths. */
  quickDeathMs: number;
}

/** The streak after a death that ended a life of `livedMs`. */
export function nextStreak(streak: number, livedMs: number, policy: BackoffPolicy): number {
  return livedMs < policy.quickDeathMs ? streak + 1 : 0;
}

/** The pause for a death that brought the streak to `streak` (1 for the first quick death). */
export function resurrectionDelay(streak: number, policy: BackoffPolicy): number {
  const doublings = Math.max(0, streak - 1);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(doublings, 20));
}
