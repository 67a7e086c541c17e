import type { PlanErrorCode } from '../../../shared/plan.js';

/**
 * What a plan that fails means, in one place: whether an instance that wants to start waits for the operator's fix
 * (and starts by itself once the plan fits) or is refused, and whether a settings change or a mode switch that
 * would lead to the failure is refused whole (nothing changes) or accepted and shown.
 */
interface PlanErrorRule {
  /** An instance that wants to start: waits, or is refused (stopped, its card says why). */
  instance: 'wait' | 'refuse';
  /** A settings change whose plan fails so. */
  settingsChange: 'accept' | 'refuse';
  /** A switch of mode whose plan fails so. */
  modeSwitch: 'accept' | 'refuse';
}

export const PLAN_ERROR_POLICY: Readonly<Record<PlanErrorCode, PlanErrorRule>> = {
  // A bad model file will not get better by waiting: refused everywhere.
  MODEL_INVALID: { instance: 'refuse', settingsChange: 'refuse', modeSwitch: 'refuse' },
  // Limits over the board: never saved, and an instance waits for them to be lowered (a flag may have set them).
  BUDGET_EXCEEDED: { instance: 'wait', settingsChange: 'refuse', modeSwitch: 'refuse' },
  // A limit too small for its model: the operator may lower one on purpose to stop an instance, so a change is
  // accepted; a switch into a mode whose models cannot fit at all is refused.
  MODEL_TOO_LARGE: { instance: 'wait', settingsChange: 'accept', modeSwitch: 'refuse' },
  // A manual plan over the budgets: shown in the Plan tab, the instance waits for a plan that fits.
  PLAN_DOES_NOT_FIT: { instance: 'wait', settingsChange: 'accept', modeSwitch: 'accept' },
  // A context that cannot hold the prompts will not grow by waiting: another model, or a larger manual context.
  CONTEXT_TOO_SMALL: { instance: 'refuse', settingsChange: 'refuse', modeSwitch: 'refuse' },
};
