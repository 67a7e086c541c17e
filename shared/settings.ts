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
};

/** Whether a change reaches running instances at once, or on their next start. */
export const SETTING_APPLIES: Record<keyof Settings, 'live' | 'next start'> = {
  mode: 'next start',
  models: 'next start',
  ramLimitsGb: 'live',
  strategies: 'next start',
  manual: 'next start',
  aggressive: 'next start',
  contextSize: 'next start',
  reserveGb: 'live',
  gpuThreshold: 'live',
};

const gigabytes = s.number({ min: 0.1, max: 4096, unit: ' GB' });
const manualPlan = s.object({
  gpuLayers: s.number({ min: 0, max: 10_000, integer: true }),
  contextSize: s.number({ min: 512, max: 1_048_576, integer: true }),
});

/** A change to the settings: any subset of the fields; role records are merged role by role. */
export const SETTINGS_PATCH = s.object({
  mode: s.optional(s.literalUnion(['single', 'matrix'] as const)),
  models: s.optional(s.partialRecord(ROLES, s.string({ minLength: 1, maxLength: 4096 }))),
  ramLimitsGb: s.optional(s.partialRecord(ROLES, gigabytes)),
  strategies: s.optional(s.partialRecord(ROLES, s.literalUnion(STRATEGIES))),
  manual: s.optional(s.partialRecord(ROLES, manualPlan)),
  aggressive: s.optional(s.boolean()),
  contextSize: s.optional(s.nullable(s.number({ min: 512, max: 1_048_576, integer: true }))),
  reserveGb: s.optional(s.nullable(gigabytes)),
  gpuThreshold: s.optional(s.number({ min: 10, max: 100, unit: '%' })),
});
export type SettingsPatch = s.Infer<typeof SETTINGS_PATCH>;

const ROLE_RECORDS = ['models', 'ramLimitsGb', 'strategies', 'manual'] as const;

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
