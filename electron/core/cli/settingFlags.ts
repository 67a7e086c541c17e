import { ROLES, type Role } from '../../../shared/instances.js';
import * as s from '../../../shared/schema.js';
import { defaultText, type SettingsPatch } from '../../../shared/settings.js';
import {
  SETTINGS_TABLE,
  type SettingFlag,
  type SettingRow,
  type SettingsTable,
} from '../../../shared/settingsTable.js';
import type { Flags } from './args.js';
import type { FlagSpec } from './flagSpec.js';

/**
 * The settings table's flags, as the parser reads them, and what the parsed flags lay over the saved settings for
 * one run. Both are functions of a table, so a row added to the table is a flag here with nothing else to write.
 */

type Switched<I> = [I] extends [boolean] ? boolean : I | undefined;
type FlagFields<R> =
  | (R extends { flag: SettingFlag<infer K>; item: s.Schema<infer I> } ? Record<K, Switched<I>> : never)
  | (R extends { roleFlag: SettingFlag<infer K>; item: s.Schema<infer I> }
      ? Record<K, Partial<Record<Role, I>>>
      : never)
  | (R extends { inputFlag: SettingFlag<infer K> & { schema: s.Schema<infer X> } } ? Record<K, X | undefined> : never);
type Merge<U> = { [K in U extends unknown ? keyof U : never]: U extends Record<K, infer V> ? V : never };

/** The parsed setting flags of a table: each row's flags, by their field. */
export type SettingFlags<T> = Merge<{ [K in keyof T]: FlagFields<T[K]> }[keyof T]>;

export function settingFlagSpecs(table: SettingsTable = SETTINGS_TABLE): Record<string, FlagSpec> {
  const specs: Record<string, FlagSpec> = {};
  for (const row of Object.values(table)) {
    const shown = defaultText(row);
    if (row.flag) specs[row.flag.key] = specOf(row.flag, row.item, row.help, shown);
    if (row.roleFlag) {
      // A role without its own flag takes the every-role flag, where there is one.
      const roleShown = row.flag ? row.flag.name : shown;
      specs[row.roleFlag.key] = { ...specOf(row.roleFlag, row.item, row.help, roleShown), default: {}, perRole: true };
    }
    if (row.inputFlag) specs[row.inputFlag.key] = specOf(row.inputFlag, row.inputFlag.schema, row.inputFlag.help);
  }
  return specs;
}

function specOf(flag: SettingFlag, schema: s.Schema<unknown>, help: string, shown?: string): FlagSpec {
  const about = {
    name: flag.name,
    commands: flag.commands,
    help: flag.help ?? help,
    ...(shown === undefined ? {} : { defaultHelp: shown }),
  };
  // A setting that can be true is a switch: given, it is true; not given, the saved setting stands.
  if (schema.parse(true, '').ok) return { ...about, default: false };
  const choices = s.isChoiceSchema(schema) ? schema.values.join('|') : 'VALUE';
  return {
    ...about,
    default: undefined,
    value: { placeholder: flag.placeholder ?? choices, schema, ...(flag.path ? { path: true } : {}) },
  };
}

/** Settings as the command line states them, to lay over the saved settings for one run. */
export function flagsToSettingsPatch(flags: Flags, table: SettingsTable = SETTINGS_TABLE): SettingsPatch {
  const given = flags as unknown as Readonly<Record<string, unknown>>;
  const patch: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(table)) {
    const value = row.fromFlags ? row.fromFlags(given) : stated(row, given);
    if (value !== undefined) patch[key] = value;
  }
  return patch as SettingsPatch;
}

/** A setting its flags map onto one to one; of a role record, a role's own flag wins over the every-role one. */
function stated(row: SettingRow, flags: Readonly<Record<string, unknown>>): unknown {
  const whole = row.flag ? flags[row.flag.key] : undefined;
  // A switch that was not given (false) states nothing.
  if (!row.byRole) return whole === false ? undefined : whole;
  const own = (row.roleFlag ? flags[row.roleFlag.key] : {}) as Partial<Record<Role, unknown>>;
  const byRole = ROLES.flatMap((role) => {
    const value = own[role] ?? whole;
    return value === undefined ? [] : [[role, value] as const];
  });
  return byRole.length > 0 ? Object.fromEntries(byRole) : undefined;
}

/**
 * The flags of the command line that state these settings, as typed (--warn-threshold, --ram-limit-god), for a
 * refusal to name. A switch that was not given, and a role not given, state nothing.
 */
export function givenFlags(flags: Flags, keys: readonly string[], table: SettingsTable = SETTINGS_TABLE): string[] {
  const given = flags as unknown as Readonly<Record<string, unknown>>;
  const stated = (key: string) => given[key] !== undefined && given[key] !== false;
  const names: string[] = [];
  for (const key of keys) {
    const row = table[key];
    if (!row) continue;
    if (row.flag && stated(row.flag.key)) names.push(row.flag.name);
    if (row.roleFlag) {
      const byRole = (given[row.roleFlag.key] ?? {}) as Partial<Record<Role, unknown>>;
      for (const role of ROLES) {
        if (byRole[role] !== undefined) names.push(`${row.roleFlag.name}-${role.toLowerCase()}`);
      }
    }
    if (row.inputFlag && stated(row.inputFlag.key)) names.push(row.inputFlag.name);
  }
  return names;
}
