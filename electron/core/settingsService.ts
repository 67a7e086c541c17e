import type { SettingsView } from '../../shared/api.js';
import type { UnstampedEvent } from '../../shared/events.js';
import type { PlanOutcome } from '../../shared/plan.js';
import {
  applySettingsPatch,
  crossFieldProblem,
  SETTING_APPLIES,
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
  /** The plan the candidate settings would make (a change that leads to a refused plan is refused). */
  planFor: (settings: Settings) => PlanOutcome;
  emit: (event: UnstampedEvent) => void;
  log: Logger;
}

/**
 * The settings in force: saved ones (settings.json) with the command line's laid over them. A change is checked as
 * it will be saved (each field, the rules between fields, the plan it leads to), then saved, and the flag it
 * replaces no longer applies.
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
   * when a field rule fails or the plan fails in a way PLAN_ERROR_POLICY refuses. The change is in force when this
   * returns its promise; the promise resolves with the fields changed once they are on disk.
   */
  apply(patch: SettingsPatch): Promise<string[]> {
    const candidate = applySettingsPatch(this.current, patch);
    const problem = crossFieldProblem(candidate);
    if (problem) throw new ApiFailure('INVALID_PARAMS', problem.message, problem.field);
    const outcome = this.options.planFor(candidate);
    if (!outcome.ok && PLAN_ERROR_POLICY[outcome.error.code].settingsChange === 'refuse') {
      throw new ApiFailure(outcome.error.code, outcome.error.message, outcome.error.field);
    }
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
    const written = this.store.save(applySettingsPatch(this.store.settings, patch));
    this.overrides = withoutKeys(this.overrides, patch);
    this.options.emit({ type: 'settings.changed', settings: this.current, changed: Object.keys(patch) });
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
