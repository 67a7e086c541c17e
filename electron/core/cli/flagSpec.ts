import type { Command } from '../../../shared/commands.js';
import type * as s from '../../../shared/schema.js';

/**
 * One command-line flag as the parser reads it: a setting's (derived from the settings table, settingFlags.ts) or a
 * run's own (runFlags.ts). `V` is its type in the parsed flags and `default` its value when not given, so the flags'
 * type, their defaults and their --help lines all come from the one spec.
 */
export interface FlagSpec<V = unknown> {
  /** As typed; a role flag is this plus -subject, -observer or -god. */
  name: string;
  commands: readonly Command[];
  help: string;
  /** What --help says of the default; absent where there is nothing to say. */
  defaultHelp?: string;
  default: V;
  /** Absent for a switch: it takes no value and, given, sets true (false for a switch whose default is true). */
  value?: FlagValue;
  /** One flag per role, each setting its role in a record. */
  perRole?: boolean;
}

export interface FlagValue {
  placeholder: string;
  /** A file path: resolved against the working directory, and never empty. */
  path?: boolean;
  schema?: s.Schema<unknown>;
}

/** The parsed flags a set of specs describes. */
export type FlagsOf<F> = { -readonly [K in keyof F]: F[K] extends FlagSpec<infer V> ? V : never };

type About = Pick<FlagSpec, 'name' | 'commands' | 'help' | 'defaultHelp'>;

/** A flag with a value; without a fallback it is undefined when not given. */
export function option<T>(schema: s.Schema<T>, placeholder: string, about: About): FlagSpec<T | undefined>;
export function option<T>(schema: s.Schema<T>, placeholder: string, about: About, fallback: T): FlagSpec<T>;
export function option<T>(schema: s.Schema<T>, placeholder: string, about: About, fallback?: T): FlagSpec<unknown> {
  const shown = about.defaultHelp ?? (fallback === undefined ? undefined : String(fallback));
  return {
    ...about,
    ...(shown === undefined ? {} : { defaultHelp: shown }),
    default: fallback,
    value: { placeholder, schema },
  };
}

export function pathOption(placeholder: string, about: About): FlagSpec<string | undefined> {
  return { ...about, default: undefined, value: { placeholder, path: true } };
}

export function toggle(about: About, fallback = false): FlagSpec<boolean> {
  return { ...about, default: fallback };
}
