import path from 'node:path';

import { COMMANDS, type Command } from '../../../shared/commands.js';
import { ROLES, type Role } from '../../../shared/instances.js';
import * as s from '../../../shared/schema.js';
import { withDefault } from '../../../shared/settings.js';
import { SETTINGS_TABLE, type SettingsTable } from '../../../shared/settingsTable.js';
import type { FlagSpec, FlagsOf } from './flagSpec.js';
import { RUN_FLAGS } from './runFlags.js';
import { settingFlagSpecs, type SettingFlags } from './settingFlags.js';

/**
 * The one command-line parser, shared by the Electron shell, the headless host and the bin. Every flag is declared
 * once, a setting's in the settings table and a run's own in runFlags.ts, with its schema and the commands that take
 * it, so a bad value is refused with the flag named before anything starts.
 *
 *   brain-in-jar [run] [flags]     the host and its panel (the default)
 *   brain-in-jar doctor [flags]    the board's resources and the recommended configuration
 *   brain-in-jar plan [flags]      the offload plan of the given models on this (or a recorded) board
 *   brain-in-jar service [flags]   a systemd user unit that runs the host under the original's limits
 *   brain-in-jar self-test [flags] the original's verification checklist, run against a real host
 */

/** Setting flags are undefined (or false, or {}) when not given: the saved settings decide. */
export type Flags = FlagsOf<typeof RUN_FLAGS> & SettingFlags<typeof SETTINGS_TABLE>;

export type ParsedArgs =
  | { ok: true; command: 'help'; topic: Command }
  | { ok: true; command: Command; flags: Flags }
  | { ok: false; message: string };

/** Every flag by its field in the parsed flags: the settings' first, then the run's own. */
export function flagSpecs(table: SettingsTable = SETTINGS_TABLE): Record<string, FlagSpec> {
  return { ...settingFlagSpecs(table), ...RUN_FLAGS };
}

export function defaultFlags(table: SettingsTable = SETTINGS_TABLE): Flags {
  const specs = Object.entries(flagSpecs(table));
  // A fresh record per role flag: parsing fills it in.
  return Object.fromEntries(specs.map(([key, spec]) => [key, spec.perRole ? {} : spec.default])) as Flags;
}

interface Named {
  key: string;
  spec: FlagSpec;
  role?: Role;
}

/** Every flag as typed, a role flag once per role, in --help's order. */
function byName(table: SettingsTable): Map<string, Named> {
  const names = new Map<string, Named>();
  for (const [key, spec] of Object.entries(flagSpecs(table))) {
    if (!spec.perRole) names.set(spec.name, { key, spec });
    else for (const role of ROLES) names.set(`${spec.name}-${role.toLowerCase()}`, { key, spec, role });
  }
  return names;
}

/** Every flag's name as typed (a role flag once per role). */
export function flagNames(table: SettingsTable = SETTINGS_TABLE): Set<string> {
  return new Set(byName(table).keys());
}

export function parseArgs(
  argv: readonly string[],
  cwd: string = process.cwd(),
  table: SettingsTable = SETTINGS_TABLE,
): ParsedArgs {
  const flags = defaultFlags(table) as unknown as Record<string, unknown>;
  const names = byName(table);
  const rest = [...argv];
  let command: Command = 'run';
  if ((COMMANDS as readonly string[]).includes(rest[0] ?? '')) command = rest.shift() as Command;
  // A flag given twice is a mistake whichever of the two was meant: neither wins silently.
  const given = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h' || arg === 'help') return { ok: true, command: 'help', topic: command };
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    const named = names.get(name);
    if (!named) {
      return { ok: false, message: arg.startsWith('-') ? `unknown flag ${name}` : `unexpected argument "${arg}"` };
    }
    if (given.has(name)) return { ok: false, message: `${name} given twice` };
    given.add(name);
    const { key, spec, role } = named;
    if (!spec.commands.includes(command)) {
      return {
        ok: false,
        message: `${name} is not a flag of \`${command}\` (it belongs to ${spec.commands.join(', ')})`,
      };
    }
    let value: unknown;
    if (!spec.value) {
      if (inline !== undefined) return { ok: false, message: `${name} takes no value` };
      value = spec.default !== true;
    } else {
      const raw = inline ?? rest[++i];
      if (raw === undefined || (inline === undefined && raw.startsWith('--'))) {
        return { ok: false, message: `${name} needs a value (${spec.value.placeholder})` };
      }
      if (spec.value.path && raw.trim() === '') return { ok: false, message: `${name} must not be empty` };
      const read = spec.value.path ? path.resolve(cwd, raw) : raw;
      const parsed = spec.value.schema ? check(spec.value.schema, read, name) : { ok: true as const, value: read };
      if (!parsed.ok) return { ok: false, message: parsed.message };
      value = parsed.value;
    }
    if (role) (flags[key] as Record<string, unknown>)[role] = value;
    else flags[key] = value;
  }
  return { ok: true, command, flags: flags as unknown as Flags };
}

/** What a number's flag reads: a plain decimal (10, 0.5, -1), never hex, octal, binary, exponents or Infinity. */
const DECIMAL = /^-?\d+(\.\d+)?$/;
/** Text JavaScript would read as a number (0x10, 1e3, +5, Infinity): the refusal says how to write it. */
const NUMBER_LIKE = /\d|^\s*[+-]?(Infinity|NaN)\s*$/i;

/** A number's flag reads its text as a number where it is a decimal, so a refusal shows the number it got. */
function check(schema: s.Schema<unknown>, raw: string, name: string): s.Parsed<unknown> {
  if (!s.isNumberSchema(schema)) return schema.parse(raw, name);
  if (DECIMAL.test(raw)) return schema.parse(Number(raw), name);
  const parsed = schema.parse(raw, name);
  if (parsed.ok || !NUMBER_LIKE.test(raw)) return parsed;
  return { ...parsed, message: `${parsed.message}; write numbers as plain decimals, like 10 or 0.5` };
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

const SUMMARIES: Record<Command, string> = {
  run: 'Runs the Brain in a Jar host and serves its control panel.',
  doctor: "Shows the board's resources and the recommended configuration for single and matrix mode.",
  plan: 'Shows the offload plan of the given models, before anything loads.',
  service: "Prints (or installs) a systemd user unit that runs the host under the original's memory and CPU limits.",
  'self-test': "Runs a host for a while and checks the original's verification list; exits 1 if an item fails.",
};

export function usage(
  command: Command = 'run',
  program = 'brain-in-jar',
  table: SettingsTable = SETTINGS_TABLE,
): string {
  const lines = [
    `Usage: ${program} ${command === 'run' ? '[run]' : command} [flags]`,
    '',
    SUMMARIES[command],
    'Each flag is given at most once; numbers are plain decimals (10, 0.5), not hex, exponents or Infinity.',
    command === 'run'
      ? `Other commands: ${COMMANDS.filter((other) => other !== 'run')
          .map((other) => `${program} ${other} --help`)
          .join(', ')}`
      : '',
    '',
    'Flags:',
  ];
  for (const [name, { spec, role }] of byName(table)) {
    if (!spec.commands.includes(command)) continue;
    const left = spec.value ? `${name} ${spec.value.placeholder}` : name;
    const help = withDefault(role ? `${role}: ${spec.help}` : spec.help, spec.defaultHelp);
    lines.push(`  ${left.padEnd(28)} ${help}`);
  }
  return lines.join('\n');
}
