import { COMMANDS, type Command } from './commands.js';
import { ROLES, type Role } from './instances.js';
import { STRATEGIES, type Strategy } from './plan.js';
import * as s from './schema.js';

/**
 * Every setting, declared once: what it accepts, its default, its help, the panel's label, whether a change applies
 * live or on the instance's next start, and the command-line flags that set it. The Settings type, the defaults, the
 * api's patch schema and the panel's labels (shared/settings.ts), and the CLI's setting flags, their --help lines and
 * what they lay over the saved settings (electron/core/cli/settingFlags.ts) all derive from this table.
 */

export type Applies = 'live' | 'next start';

/** A command-line flag that sets a setting; its value is checked against the setting's schema. */
export interface SettingFlag<K extends string = string> {
  /** Its field in the parsed flags. */
  key: K;
  /** As typed; a role flag is this plus -subject, -observer or -god. */
  name: string;
  commands: readonly Command[];
  /** The value's name in --help. A choice lists its values instead; a true/false setting's flag is a switch. */
  placeholder?: string;
  /** The value is a file path, resolved against the working directory. */
  path?: boolean;
  /** Its --help line, where that is not the setting's help. */
  help?: string;
}

export interface SettingRow<T = unknown, I = unknown> {
  /** What settings.json and the api accept. */
  schema: s.Schema<T>;
  /** What one flag's value accepts: one role's value of a role record, else the setting's own (never null). */
  item: s.Schema<I>;
  default: T;
  /** The default in words, where its value does not say it (null, or a role that has none of its own). */
  defaultHelp?: string;
  label: string;
  /** A role record's label for one role, as in "SUBJECT's RAM limit" (default: the label). */
  roleLabel?: string;
  help: string;
  applies: Applies;
  /** A record by role: a patch merges it role by role. */
  byRole: boolean;
  /** The flag that states the whole setting; of a role record, every role's value at once. */
  flag?: SettingFlag;
  /** A role record's -subject, -observer and -god flags: one role each, and over `flag`. */
  roleFlag?: SettingFlag;
  /** A flag only `fromFlags` reads, with a schema of its own. */
  inputFlag?: SettingFlag & { schema: s.Schema<unknown>; help: string };
  /** Where the flags do not map one to one onto the setting: its value as they state it, or undefined. */
  fromFlags?(flags: Readonly<Record<string, unknown>>): T | undefined;
}

type Described<T> = Omit<SettingRow<T>, 'schema' | 'item' | 'byRole'>;

export function setting<T, const R extends Described<T>>(schema: s.Schema<T>, row: R) {
  return { ...row, schema, item: schema, byRole: false as const };
}

/** A setting whose null means "worked out from the board or the model" (its `defaultHelp` says how). */
function nullableSetting<T, const R extends Described<T | null>>(item: s.Schema<T>, row: R) {
  return { ...row, schema: s.nullable(item), item, byRole: false as const };
}

/** A record by role; a role without a value of its own gets the default `defaultHelp` describes. */
export function roleSetting<I, const R extends Omit<Described<Partial<Record<Role, I>>>, 'default'>>(
  item: s.Schema<I>,
  row: R,
) {
  const schema = s.partialRecord(ROLES, item);
  return { ...row, schema, item, default: {} as Partial<Record<Role, I>>, byRole: true as const };
}

function everyRole<T>(value: T): Partial<Record<Role, T>> {
  return Object.fromEntries(ROLES.map((role) => [role, value]));
}

// The self-test runs a host: it takes every setting a run takes.
const RUN = ['run', 'self-test'] as const;
const PLANNING = ['run', 'plan', 'self-test'] as const;

export const gigabytes = s.number({ min: 0.1, max: 4096, unit: ' GB' });
const gpuLayers = s.number({ min: 0, max: 10_000, integer: true });
const contextSize = s.number({ min: 512, max: 1_048_576, integer: true });
const percent = (max: number) => s.number({ min: 1, max, unit: '%' });
const seconds = s.number({ min: 0.1, max: 60, unit: ' s' });
const manualPlan = s.object({ gpuLayers, contextSize });

export const SETTINGS_TABLE = {
  mode: setting(s.literalUnion(['single', 'matrix'] as const), {
    default: 'single',
    label: 'Mode',
    help: 'single: one isolated mind (SUBJECT); matrix: SUBJECT, OBSERVER and GOD',
    applies: 'live',
    flag: { key: 'mode', name: '--mode', commands: [...PLANNING, 'service'] },
  }),
  models: roleSetting(s.string({ minLength: 1, maxLength: 4096 }), {
    label: 'Models',
    roleLabel: 'model',
    help: 'GGUF model file of every role',
    defaultHelp: 'a generated demo model',
    applies: 'next start',
    flag: { key: 'model', name: '--model', placeholder: 'PATH', path: true, commands: PLANNING },
    roleFlag: {
      key: 'roleModels',
      name: '--model',
      placeholder: 'PATH',
      path: true,
      commands: PLANNING,
      help: "the instance's model file",
    },
  }),
  ramLimitsGb: roleSetting(gigabytes, {
    label: 'RAM limits',
    roleLabel: 'RAM limit',
    help: "the instance's RAM limit",
    defaultHelp: "the original's 6/7/7 GB scaled to this board",
    applies: 'live',
    roleFlag: { key: 'ramLimitsGb', name: '--ram-limit', placeholder: 'GB', commands: PLANNING },
  }),
  strategies: roleSetting(s.literalUnion(STRATEGIES), {
    label: 'Planner strategy',
    roleLabel: 'planner strategy',
    help: "offload plan: fit fits every instance in the budgets; seed is the original's tiers; manual uses --gpu-layers and --context",
    defaultHelp: 'fit',
    applies: 'next start',
    flag: { key: 'strategy', name: '--strategy', commands: PLANNING },
  }),
  manual: roleSetting(manualPlan, {
    label: 'Manual plan',
    roleLabel: 'manual plan',
    help: "the manual strategy's GPU layers and context",
    applies: 'next start',
    inputFlag: {
      key: 'gpuLayers',
      name: '--gpu-layers',
      placeholder: 'N',
      commands: PLANNING,
      schema: gpuLayers,
      help: 'layers on the GPU, for the manual strategy',
    },
    /** --strategy manual or --gpu-layers: every role's manual plan; what is not given is 0 layers, 2048 tokens. */
    fromFlags(flags: { strategy?: Strategy; gpuLayers?: number; contextSize?: number }) {
      if (flags.strategy !== 'manual' && flags.gpuLayers === undefined) return undefined;
      return everyRole({ gpuLayers: flags.gpuLayers ?? 0, contextSize: flags.contextSize ?? 2048 });
    },
  }),
  aggressive: setting(s.boolean(), {
    default: false,
    label: 'Aggressive seed tiers',
    help: "the seed strategy's aggressive tiers",
    applies: 'next start',
    flag: { key: 'aggressive', name: '--aggressive', commands: COMMANDS },
  }),
  contextSize: nullableSetting(contextSize, {
    default: null,
    label: 'Starting context',
    help: 'the context size the fit starts from',
    defaultHelp: "4096, or the model's own if smaller",
    applies: 'next start',
    flag: {
      key: 'contextSize',
      name: '--context',
      placeholder: 'TOKENS',
      commands: PLANNING,
      help: "context size: manual's, or where fit starts",
    },
  }),
  reserveGb: nullableSetting(gigabytes, {
    default: null,
    label: 'System reserve',
    help: 'RAM kept for the system, never given to instances',
    defaultHelp: 'the larger of 2 GB and 25% of the RAM',
    applies: 'live',
    flag: { key: 'reserveGb', name: '--reserve', placeholder: 'GB', commands: COMMANDS },
  }),
  gpuThreshold: setting(percent(100), {
    default: 85,
    label: 'GPU threshold',
    help: 'GPU memory use that is too much; the plan stays under it',
    applies: 'live',
    flag: { key: 'gpuThreshold', name: '--gpu-threshold', placeholder: 'PCT', commands: PLANNING },
  }),
  ramThreshold: setting(percent(100), {
    default: 90,
    label: 'RAM threshold',
    help: 'system RAM use at which the watchdog stops an instance',
    applies: 'live',
    flag: { key: 'ramThreshold', name: '--ram-threshold', placeholder: 'PCT', commands: RUN },
  }),
  warnThreshold: setting(percent(99), {
    default: 70,
    label: 'Warn level',
    help: 'above this the watchdog samples faster and nothing starts or comes back',
    applies: 'live',
    flag: { key: 'warnThreshold', name: '--warn-threshold', placeholder: 'PCT', commands: RUN },
  }),
  intervalS: setting(seconds, {
    default: 2,
    label: 'Interval',
    help: "the watchdog's sampling interval far from every limit, seconds; it speeds up to 0.1 s near one",
    applies: 'live',
    flag: { key: 'intervalS', name: '--interval', placeholder: 'S', commands: RUN },
  }),
  graceS: setting(seconds, {
    default: 2,
    label: 'Grace',
    help: 'time between SIGTERM and SIGKILL, seconds',
    applies: 'live',
    flag: { key: 'graceS', name: '--grace', placeholder: 'S', commands: RUN },
  }),
  victimPolicy: setting(s.literalUnion(['largest', 'role-order'] as const), {
    default: 'largest',
    label: 'Who goes first',
    help: 'who the watchdog stops first at a board threshold: the largest user, or SUBJECT, OBSERVER, GOD',
    applies: 'live',
    flag: { key: 'victimPolicy', name: '--victim-policy', commands: RUN },
  }),
  spare: roleSetting(s.boolean(), {
    label: 'Spared by the watchdog',
    roleLabel: 'spare setting',
    help: "the watchdog leaves the instance to the kernel's limit alone",
    applies: 'live',
    roleFlag: { key: 'spare', name: '--spare', commands: RUN },
  }),
  thermalC: setting(s.number({ min: 40, max: 120, unit: ' C' }), {
    default: 85,
    label: 'Thermal pause',
    help: 'above this temperature generation pauses until the board is 5 C cooler',
    applies: 'live',
    flag: { key: 'thermalC', name: '--thermal-threshold', placeholder: 'C', commands: RUN },
  }),
  watchdogTiming: setting(s.literalUnion(['adaptive', 'original'] as const), {
    default: 'adaptive',
    label: 'Watchdog timing',
    help: "original: the original's polling (2 s, 1 s above 70%, no re-read), for comparison",
    applies: 'live',
    flag: { key: 'watchdogTiming', name: '--watchdog-timing', commands: RUN },
  }),
  retentionGb: setting(gigabytes, {
    default: 2,
    label: 'Transcripts kept (size)',
    help: "what the data folder's sessions (transcripts, event logs) may hold; the oldest sessions go first, never the current one",
    applies: 'live',
    flag: { key: 'retentionGb', name: '--retention-gb', placeholder: 'GB', commands: RUN },
  }),
  retentionDays: setting(s.number({ min: 1, max: 3650, unit: ' days' }), {
    default: 30,
    label: 'Transcripts kept (age)',
    help: 'sessions whose last write is older than this are removed, never the current one',
    applies: 'live',
    flag: { key: 'retentionDays', name: '--retention-days', placeholder: 'DAYS', commands: RUN },
  }),
};

export type SettingsTable = Readonly<Record<string, SettingRow>>;
