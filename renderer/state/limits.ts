import type { Role } from '../../shared/instances.js';
import { GIB } from '../../shared/board.js';
import { limitBelowNeed } from '../../shared/limitFigures.js';
import type { InstanceLimit, PlanOutcome } from '../../shared/plan.js';

/**
 * Each instance's RAM limit and the least it may be, from the plan outcome's own figures: they are there whether or
 * not the plan was made, so a plan refused for one instance never leaves the cards, charts and form without limits.
 * (An outcome recorded before it carried them has the made plan's limits, and no least.)
 */
export function limitsOf(plan: PlanOutcome | null): InstanceLimit[] {
  if (plan?.limits) return plan.limits.instances;
  if (!plan?.ok) return [];
  return plan.plan.instances.map((one) => ({
    instance: one.instance,
    ramLimitBytes: one.ramLimitBytes,
    leastBytes: null,
  }));
}

export function limitOf(plan: PlanOutcome | null, role: Role): number | null {
  return limitsOf(plan).find((entry) => entry.instance === role)?.ramLimitBytes ?? null;
}

/** The board's RAM and the system's reserve, as the host plans with them; null before the host has said. */
export function budgetOf(plan: PlanOutcome | null): { ramTotalBytes: number; reserveBytes: number } | null {
  if (plan?.limits) return plan.limits;
  return plan?.ok ? plan.plan.budgets : null;
}

/** A limit as typed in the form, judged with the host's figures: why it would be refused, or null. */
export function typedLimitProblem(plan: PlanOutcome | null, role: Role, text: string): string | null {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) return null;
  const least = limitsOf(plan).find((entry) => entry.instance === role)?.leastBytes ?? null;
  return limitBelowNeed(role, value * GIB, least);
}
