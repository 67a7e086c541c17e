import type { SettingsView } from '../../shared/api.js';
import type { UnstampedEvent } from '../../shared/events.js';
import type { Role } from '../../shared/instances.js';
import { limitBelowNeed } from '../../shared/limitFigures.js';
import type { PlanOutcome } from '../../shared/plan.js';
import {
  applySettingsPatch,
  crossFieldProblem,
  SETTING_APPLIES,
  SETTING_LABELS,
  type Settings,
  type SettingsPatch,
} from '../../shared/settings.js';
import { ApiFailure } from './api.js';
import type { Logger } from './logger.js';
import { PLAN_ERROR_POLICY } from './planner/planErrorPolicy.js';
import { SettingsStore } from './store/settingsStore.js';

export interface SettingsServiceOptions {
  file: string;
  /** Settings the command line states for this run, laid over the saved ones until the operator changes them. */
  overrides: SettingsPatch;
  /** The command-line flags, as typed, that state these settings (for a refusal to name them). */
  flagsOf: (keys: readonly string[]) => string[];
  /** The plan the candidate settings would make (a change that leads to a refused plan is refused). */
  planFor: (settings: Settings) => PlanOutcome;
  emit: (event: UnstampedEvent) => void;
  log: Logger;
}

/**
 * The settings in force: saved ones (settings.json) with the command line's laid over them. A change is checked as
 * it applies now and as it will be saved (each field, the rules between fields, the plan it leads to), then saved,
 * and the flag it replaces no longer applies. Checking the saved settings too matters because a flag hides the
 * saved value it overrides: with --warn-threshold 50, a RAM threshold of 60 is fine for this run, but saved beside
 * the file's warn level of 70 it would leave a file that every later start without the flag refuses.
 */
export class SettingsService {
  private readonly store: SettingsStore;
  private overrides: SettingsPatch;
  /** The write problem last logged, so a burst that fails logs it once. */
  private loggedSaveProblem: string | null = null;

  constructor(private readonly options: SettingsServiceOptions) {
    this.store = new SettingsStore(options.file);
    this.overrides = options.overrides;
  }

  get current(): Settings {
    return applySettingsPatch(this.store.settings, this.overrides);
  }

  /** What went wrong with settings.json (at start, or with the latest write), or null. */
  get notice(): string | null {
    return this.store.notice;
  }

  view(): SettingsView {
    return { settings: this.current, applies: SETTING_APPLIES, notice: this.store.notice };
  }

  /**
   * Checks and saves a change (without the mode, which is a switch of its own). Refused whole, changing nothing,
   * when a field rule fails, now or as saved, or the plan fails in a way PLAN_ERROR_POLICY refuses. The change is in
   * force when this returns its promise; the promise resolves with the fields changed once they are on disk.
   */
  apply(patch: SettingsPatch): Promise<string[]> {
    const candidate = applySettingsPatch(this.current, patch);
    const problem = crossFieldProblem(candidate);
    if (problem) throw new ApiFailure('INVALID_PARAMS', problem.message, problem.field);
    const outcome = this.options.planFor(candidate);
    const tooLow = limitTooLow(patch, outcome);
    if (tooLow) throw new ApiFailure('MODEL_TOO_LARGE', tooLow.message, tooLow.field);
    if (!outcome.ok && PLAN_ERROR_POLICY[outcome.error.code].settingsChange === 'refuse') {
      throw new ApiFailure(outcome.error.code, outcome.error.message, outcome.error.field);
    }
    this.checkAsSaved(patch);
    const written = this.save(patch);
    const changed = Object.keys(patch);
    this.options.log.info(
      'host',
      `settings changed: ${changed.map((key) => `${key} (${SETTING_APPLIES[key as keyof Settings]})`).join(', ')}`,
    );
    return written.then(() => changed);
  }

  /**
   * Saves a change already decided on (a mode switch) and announces it. In force at once; the promise resolves once
   * it is on disk, or the write failed (said in the log and the notice; the change still holds for this run).
   */
  async save(patch: SettingsPatch): Promise<void> {
    const before = this.current;
    const written = this.store.save(applySettingsPatch(this.store.settings, patch));
    this.overrides = withoutKeys(this.overrides, patch);
    const changed = Object.keys(patch) as Array<keyof Settings>;
    const previous = Object.fromEntries(changed.map((key) => [key, before[key]])) as Partial<Settings>;
    this.options.emit({ type: 'settings.changed', settings: this.current, changed, previous });
    const problem = await written;
    if (problem !== this.loggedSaveProblem) {
      if (problem) this.options.log.error('host', problem);
      else this.options.log.info('host', 'settings.json is written again');
      this.loggedSaveProblem = problem;
    }
  }

  /** Resolves once every change is on disk (or its write has failed). */
  flush(): Promise<void> {
    return this.store.flush();
  }

  /**
   * The file's own values with the change, without the flags still in force: what the next start without them
   * reads. Refused where the rules between fields, or the RAM budget, fail there but not here; the message names
   * the flags that hide the saved values.
   */
  private checkAsSaved(patch: SettingsPatch): void {
    const remaining = withoutKeys(this.overrides, patch);
    const inForce = (key: keyof Settings) => stated(remaining[key]);
    if (!Object.keys(remaining).some((key) => inForce(key as keyof Settings))) return;
    const saved = applySettingsPatch(this.store.settings, patch);
    const problem = crossFieldProblem(saved);
    if (problem) {
      const hidden = problem.fields.filter(inForce);
      const field = problem.fields.find((key) => key in patch) ?? problem.field;
      throw new ApiFailure('INVALID_PARAMS', this.asSaved(problem.message, hidden, problem.field), field);
    }
    const outcome = this.options.planFor(saved);
    if (!outcome.ok && outcome.error.code === 'BUDGET_EXCEEDED') {
      const hidden = (['ramLimitsGb', 'reserveGb', 'mode'] as const).filter(inForce);
      throw new ApiFailure(outcome.error.code, this.asSaved(outcome.error.message, hidden), outcome.error.field);
    }
  }

  private asSaved(message: string, hidden: readonly string[], fix?: keyof Settings): string {
    const flags = this.options.flagsOf(hidden);
    const these = flags.length > 0 ? flags.join(', ') : 'the command line';
    const advice = fix ? `set the ${SETTING_LABELS[fix].label} as well` : 'change those settings as well';
    return (
      `as saved in settings.json, ${message}: ${these} holds for this run only, and the next start without it ` +
      `would read the file's own values; ${advice}`
    );
  }
}

/**
 * A RAM limit the change sets below what its instance needs at the least: refused, whatever the plan policy says of
 * a model too large, because the watchdog would stop the instance the moment it loads and the plan it leaves behind
 * is refused. Only the limits this change sets are judged; a limit set before (by a flag, say) is the plan's to show.
 */
export function limitTooLow(patch: SettingsPatch, outcome: PlanOutcome): { field: string; message: string } | null {
  for (const role of Object.keys(patch.ramLimitsGb ?? {}) as Role[]) {
    const limit = outcome.limits?.instances.find((entry) => entry.instance === role);
    const message = limit && limitBelowNeed(role, limit.ramLimitBytes, limit.leastBytes);
    if (message) return { field: `ramLimitsGb.${role}`, message };
  }
  return null;
}

/** The patch without the fields (or, for role records, the roles) that `change` sets. */
function withoutKeys(patch: SettingsPatch, change: SettingsPatch): SettingsPatch {
  const next: Record<string, unknown> = { ...patch };
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) continue;
    const existing = next[key];
    if (existing && typeof existing === 'object' && typeof value === 'object' && value !== null) {
      const remaining = { ...(existing as Record<string, unknown>) };
      for (const role of Object.keys(value)) delete remaining[role];
      next[key] = remaining;
    } else {
      delete next[key];
    }
  }
  return next as SettingsPatch;
}

/** Whether an override states anything: a role record with no role left states nothing. */
function stated(value: unknown): boolean {
  if (value === undefined) return false;
  return typeof value !== 'object' || value === null || Object.keys(value).length > 0;
}
