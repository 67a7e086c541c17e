import * as s from './schema.js';
import { SETTINGS_TABLE, type Applies, type SettingRow, type SettingsTable } from './settingsTable.js';

/**
 * The settings the operator changes by hand, persisted in settings.json, as the table in shared/settingsTable.ts
 * declares them. Command-line flags override them for one run; a change made in the panel is saved and applies as
 * each setting says (`SETTING_APPLIES`). Every derivation is a function of a table, so a table with one more row
 * gets that setting everywhere.
 */

export type SettingsOf<T extends SettingsTable> = { -readonly [K in keyof T]: s.Infer<T[K]['schema']> };
export type Settings = SettingsOf<typeof SETTINGS_TABLE>;

function mapRows<T extends SettingsTable, V>(table: T, value: (row: SettingRow) => V): Record<keyof T, V> {
  return Object.fromEntries(Object.entries(table).map(([key, row]) => [key, value(row)])) as Record<keyof T, V>;
}

export function defaultSettings<T extends SettingsTable>(table: T): SettingsOf<T> {
  return mapRows(table, (row) => row.default) as SettingsOf<T>;
}

/** Whether a change reaches running instances at once, or on their next start. */
export function settingApplies<T extends SettingsTable>(table: T): Record<keyof T, Applies> {
  return mapRows(table, (row) => row.applies);
}

/** A change to the settings: any subset of the fields; role records are merged role by role. */
export function settingsPatchSchema<T extends SettingsTable>(table: T): s.Schema<Partial<SettingsOf<T>>> {
  const shape = mapRows(table, (row) => s.optional(row.schema));
  return s.object(shape) as unknown as s.Schema<Partial<SettingsOf<T>>>;
}

/** The default in words for --help and the panel; none where the value says nothing (false, or no role set). */
export function defaultText(row: Pick<SettingRow, 'default' | 'defaultHelp'>): string | undefined {
  if (row.defaultHelp !== undefined) return row.defaultHelp;
  return typeof row.default === 'string' || typeof row.default === 'number' ? String(row.default) : undefined;
}

export function withDefault(help: string, shown: string | undefined): string {
  return shown === undefined ? help : `${help} (default ${shown})`;
}

/** What the panel shows of a setting. */
export interface SettingLabel {
  label: string;
  /** The help, with the default. */
  help: string;
  applies: Applies;
  /** The unit next to a number's field ("" for none). */
  unit: string;
}

export function settingLabels<T extends SettingsTable>(table: T): Record<keyof T, SettingLabel> {
  return mapRows(table, (row) => ({
    label: row.label,
    help: withDefault(row.help, defaultText(row)),
    applies: row.applies,
    unit: s.isNumberSchema(row.item) ? row.item.unit.trim() : '',
  }));
}

export const DEFAULT_SETTINGS: Settings = defaultSettings(SETTINGS_TABLE);
export const SETTING_APPLIES = settingApplies(SETTINGS_TABLE);
export const SETTINGS_PATCH = settingsPatchSchema(SETTINGS_TABLE);
export type SettingsPatch = s.Infer<typeof SETTINGS_PATCH>;
export const SETTING_LABELS = settingLabels(SETTINGS_TABLE);

/** A rule between fields that the settings break: the field to fix, why, and every field the rule reads. */
export interface CrossFieldProblem {
  field: keyof Settings;
  message: string;
  fields: Array<keyof Settings>;
}

/** Checks that hold between fields: the warn level sits below both thresholds. Null when all is well. */
export function crossFieldProblem(settings: Settings): CrossFieldProblem | null {
  const lowest = Math.min(settings.ramThreshold, settings.gpuThreshold);
  if (settings.warnThreshold >= lowest) {
    return {
      field: 'warnThreshold',
      message:
        `${SETTING_LABELS.warnThreshold.label} must be below the ${SETTING_LABELS.ramThreshold.label} and the ` +
        `${SETTING_LABELS.gpuThreshold.label} (${settings.warnThreshold}% is not below ${lowest}%)`,
      fields: ['warnThreshold', 'ramThreshold', 'gpuThreshold'],
    };
  }
  return null;
}

/** Applies a patch: plain fields replace, role records merge per role. */
export function applySettingsPatch(settings: Settings, patch: SettingsPatch): Settings {
  const next: Settings = { ...settings };
  for (const [key, value] of Object.entries(patch) as Array<[keyof Settings, unknown]>) {
    if (value === undefined) continue;
    (next as Record<string, unknown>)[key] = SETTINGS_TABLE[key].byRole
      ? { ...(settings[key] as object), ...(value as object) }
      : value;
  }
  return next;
}
