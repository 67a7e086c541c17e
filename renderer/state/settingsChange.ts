import type { SettingsChangedEvent } from '../../shared/events.js';
import { ROLES } from '../../shared/instances.js';
import { SETTING_LABELS, type Settings } from '../../shared/settings.js';
import { settingName } from '../../shared/settingNames.js';
import { SETTINGS_TABLE } from '../../shared/settingsTable.js';

/**
 * A settings change as the event log says it: each field by the name the panel gives it, old -> new ("RAM threshold
 * 90% -> 80%; SUBJECT's RAM limit 1.5 GB -> 0.5 GB"). A role record names only the roles whose value changed.
 */

function shown(value: unknown, unit: string): string {
  if (value === undefined || value === null) return 'default';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return `${value}${unit === '' ? '' : unit === '%' ? '%' : ` ${unit}`}`;
  if (typeof value === 'object') {
    const { gpuLayers, contextSize } = value as { gpuLayers?: number; contextSize?: number };
    return `${gpuLayers} GPU layers, context ${contextSize}`;
  }
  return String(value);
}

function fieldChanges(key: keyof Settings, before: unknown, after: unknown): string[] {
  const { label, unit } = SETTING_LABELS[key];
  if (!SETTINGS_TABLE[key].byRole) return [`${label} ${shown(before, unit)} -> ${shown(after, unit)}`];
  const old = (before ?? {}) as Record<string, unknown>;
  const now = (after ?? {}) as Record<string, unknown>;
  const roles = ROLES.filter((role) => JSON.stringify(old[role]) !== JSON.stringify(now[role]));
  if (roles.length === 0) return [`${label} unchanged`];
  return roles.map((role) => `${settingName(`${key}.${role}`)} ${shown(old[role], unit)} -> ${shown(now[role], unit)}`);
}

export function describeSettingsChange(event: Pick<SettingsChangedEvent, 'changed' | 'settings' | 'previous'>): string {
  const known = event.changed.filter((key): key is keyof Settings => key in SETTINGS_TABLE);
  if (!event.previous) return `Settings changed: ${known.map((key) => SETTING_LABELS[key].label).join(', ')}`;
  const previous = event.previous;
  return `Settings: ${known.flatMap((key) => fieldChanges(key, previous[key], event.settings[key])).join('; ')}`;
}
