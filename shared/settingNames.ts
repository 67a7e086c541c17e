import { ROLES } from './instances.js';
import { SETTINGS_TABLE, type SettingsTable } from './settingsTable.js';

/**
 * The settings as the operator sees them in the panel and --help: a refusal says "SUBJECT's RAM limit must be ...",
 * not "ramLimitsGb.SUBJECT must be ...". The field paths stay as they are in the api's errors (`field`), where the
 * panel reads them to put a message beside its control.
 */

/** The parts of a role's manual plan. */
const PART_NAMES: Readonly<Record<string, string>> = { gpuLayers: 'GPU layers', contextSize: 'context' };

const table: SettingsTable = SETTINGS_TABLE;
const isRole = (text: string | undefined): text is string => (ROLES as readonly string[]).includes(text ?? '');

/** "ramThreshold" -> "RAM threshold", "ramLimitsGb.SUBJECT" -> "SUBJECT's RAM limit"; null for no known setting. */
export function settingName(field: string): string | null {
  const [key = '', role, part] = field.split('.');
  const row = Object.prototype.hasOwnProperty.call(table, key) ? table[key]! : null;
  if (!row) return null;
  if (role === undefined) return row.label;
  if (!isRole(role)) return null;
  const own = `${role}'s ${row.roleLabel ?? row.label}`;
  return part === undefined ? own : `${own} ${PART_NAMES[part] ?? part}`;
}

/**
 * A refusal of a settings change in the operator's words: the field path it starts with becomes the setting's name.
 * plan.preview's patch sits under "patch"; its fields read the same.
 */
export function inOperatorWords(field: string, message: string): string {
  const inner = field.startsWith('patch.') ? field.slice('patch.'.length) : field;
  if (!message.startsWith(field)) return message;
  const rest = message.slice(field.length);
  const name = settingName(inner);
  if (name !== null) return name + rest;
  const [key = '', role] = inner.split('.');
  if (role !== undefined && settingName(key) !== null) return `${settingName(key)}: ${role}${rest}`;
  return rest === ' is not a known field' ? `${inner} is not a setting` : message;
}
