import { ROLES, type Role } from './instances.js';
import { STRATEGIES, type Strategy } from './plan.js';
import * as s from './schema.js';

/**
 * The settings the operator changes by hand, persisted in settings.json. Command-line flags override them for one
 * run; a change made in the panel is saved and applies as each setting says (`SETTING_APPLIES`).
 */
export interface Settings {
  mode: 'single' | 'matrix';
  /** Model file per role; a role without one runs --model, or the demo model. */
  models: Partial<Record<Role, string>>;
  /** RAM limit per role in GB; a role without one gets the original's 6/7/7 GB scaled to the board. */
  ramLimitsGb: Partial<Record<Role, number>>;
  /** Planner strategy per role (default fit). */
  strategies: Partial<Record<Role, Strategy>>;
  /** The manual strategy's numbers per role. */
  manual: Partial<Record<Role, ManualPlan>>;
  /** The seed strategy's aggressive tiers. */
  aggressive: boolean;
  /** Context the fit starts from; null = 4096 or the model's own if smaller. */
  contextSize: number | null;
  /** RAM kept for the system in GB; null = the larger of 2 GB and 25% of the RAM. */
  reserveGb: number | null;
  /** GPU memory use (percent) the plan stays under and the watchdog acts at. */
  gpuThreshold: number;
  /** System RAM use (percent) at which the watchdog stops an instance. */
  ramThreshold: number;
  /** Above this (percent), the watchdog samples faster and no instance is started or resurrected. */
  warnThreshold: number;
  /** The watchdog's sampling interval when far from every limit, seconds. */
  intervalS: number;
  /** Time between SIGTERM and SIGKILL, seconds. */
  graceS: number;
  /** Which instance goes first when a board threshold is crossed (one over its own limit always goes first). */
  victimPolicy: 'largest' | 'role-order';
  /** Instances the watchdog leaves to the kernel's limit alone. */
  spare: Partial<Record<Role, boolean>>;
  /** Above this temperature (C) generation pauses until the board is 5 C cooler. */
  thermalC: number;
  /** 'original' reproduces the original's polling (2 s, 1 s above the warn level, no re-check): for comparison. */
  watchdogTiming: 'adaptive' | 'original';
}

export interface ManualPlan {
  gpuLayers: number;
  contextSize: number;
}

export const DEFAULT_SETTINGS: Settings = {
  mode: 'single',
  models: {},
  ramLimitsGb: {},
  strategies: {},
  manual: {},
  aggressive: false,
  contextSize: null,
  reserveGb: null,
  gpuThreshold: 85,
  ramThreshold: 90,
  warnThreshold: 70,
  intervalS: 2,
  graceS: 2,
  victimPolicy: 'largest',
  spare: {},
  thermalC: 85,
  watchdogTiming: 'adaptive',
};

/** Whether a change reaches running instances at once, or on their next start. */
export const SETTING_APPLIES: Record<keyof Settings, 'live' | 'next start'> = {
  mode: 'live',
  models: 'next start',
  ramLimitsGb: 'live',
  strategies: 'next start',
  manual: 'next start',
  aggressive: 'next start',
  contextSize: 'next start',
  reserveGb: 'live',
  gpuThreshold: 'live',
  ramThreshold: 'live',
  warnThreshold: 'live',
  intervalS: 'live',
  graceS: 'live',
  victimPolicy: 'live',
  spare: 'live',
  thermalC: 'live',
  watchdogTiming: 'live',
};

/** What each setting accepts: one definition for the api (SETTINGS_PATCH) and the command-line flags. */
export const SETTING_SCHEMAS = {
  gigabytes: s.number({ min: 0.1, max: 4096, unit: ' GB' }),
  gpuLayers: s.number({ min: 0, max: 10_000, integer: true }),
  contextSize: s.number({ min: 512, max: 1_048_576, integer: true }),
  gpuThreshold: s.number({ min: 1, max: 100, unit: '%' }),
  ramThreshold: s.number({ min: 1, max: 100, unit: '%' }),
  warnThreshold: s.number({ min: 1, max: 99, unit: '%' }),
  intervalS: s.number({ min: 0.1, max: 60, unit: ' s' }),
  graceS: s.number({ min: 0.1, max: 60, unit: ' s' }),
  thermalC: s.number({ min: 40, max: 120, unit: ' C' }),
  strategy: s.literalUnion(STRATEGIES),
  victimPolicy: s.literalUnion(['largest', 'role-order'] as const),
  watchdogTiming: s.literalUnion(['adaptive', 'original'] as const),
};
const field = SETTING_SCHEMAS;
const manualPlan = s.object({ gpuLayers: field.gpuLayers, contextSize: field.contextSize });

/** A change to the settings: any subset of the fields; role records are merged role by role. */
export const SETTINGS_PATCH = s.object({
  mode: s.optional(s.literalUnion(['single', 'matrix'] as const)),
  models: s.optional(s.partialRecord(ROLES, s.string({ minLength: 1, maxLength: 4096 }))),
  ramLimitsGb: s.optional(s.partialRecord(ROLES, field.gigabytes)),
  strategies: s.optional(s.partialRecord(ROLES, field.strategy)),
  manual: s.optional(s.partialRecord(ROLES, manualPlan)),
  aggressive: s.optional(s.boolean()),
  contextSize: s.optional(s.nullable(field.contextSize)),
  reserveGb: s.optional(s.nullable(field.gigabytes)),
  gpuThreshold: s.optional(field.gpuThreshold),
  ramThreshold: s.optional(field.ramThreshold),
  warnThreshold: s.optional(field.warnThreshold),
  intervalS: s.optional(field.intervalS),
  graceS: s.optional(field.graceS),
  victimPolicy: s.optional(field.victimPolicy),
  spare: s.optional(s.partialRecord(ROLES, s.boolean())),
  thermalC: s.optional(field.thermalC),
  watchdogTiming: s.optional(field.watchdogTiming),
});
export type SettingsPatch = s.Infer<typeof SETTINGS_PATCH>;

const ROLE_RECORDS = ['models', 'ramLimitsGb', 'strategies', 'manual', 'spare'] as const;

/** Checks that hold between fields: the warn level sits below both thresholds. Null when all is well. */
export function crossFieldProblem(settings: Settings): { field: string; message: string } | null {
  const lowest = Math.min(settings.ramThreshold, settings.gpuThreshold);
  if (settings.warnThreshold >= lowest) {
    return {
      field: 'warnThreshold',
      message: `warnThreshold must be below the RAM and GPU thresholds (${settings.warnThreshold}% is not below ${lowest}%)`,
    };
  }
  return null;
}

/** Applies a patch: plain fields replace, role records merge per role. */
export function applySettingsPatch(settings: Settings, patch: SettingsPatch): Settings {
  const next: Settings = { ...settings };
  for (const [key, value] of Object.entries(patch) as Array<[keyof Settings, unknown]>) {
    if (value === undefined) continue;
    if ((ROLE_RECORDS as readonly string[]).includes(key)) {
      (next as unknown as Record<string, unknown>)[key] = {
        ...(settings[key] as object),
        ...(value as object),
      };
    } else {
      (next as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return next;
}
