import path from 'node:path';

import type { Role } from '../../../shared/instances.js';
import type { Strategy } from '../../../shared/plan.js';
import * as s from '../../../shared/schema.js';
import { SETTING_SCHEMAS } from '../../../shared/settings.js';

/**
 * The one command-line parser, shared by the Electron shell, the headless host and the bin. Every flag is declared
 * once here with its schema and the commands that take it, so a bad value is refused with the flag named before
 * anything starts.
 *
 *   brain-in-jar [run] [flags]     the host and its panel (the default)
 *   brain-in-jar doctor [flags]    the board's resources and the recommended configuration
 *   brain-in-jar plan [flags]      the offload plan of the given models on this (or a recorded) board
 *   brain-in-jar service [flags]   a systemd user unit that runs the host under the original's limits
 */

export const COMMANDS = ['run', 'doctor', 'plan', 'service'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Flags {
  /** Undefined when not given: the saved settings decide. */
  mode: 'single' | 'matrix' | undefined;
  /** --model: the model of every role; undefined means the generated demo model. */
  model: string | undefined;
  /** --model-subject / --model-observer / --model-god override --model for one role. */
  roleModels: Partial<Record<Role, string>>;
  /** --ram-limit-subject / -observer / -god, in GB. */
  ramLimitsGb: Partial<Record<Role, number>>;
  strategy: Strategy | undefined;
  aggressive: boolean;
  gpuLayers: number | undefined;
  contextSize: number | undefined;
  gpuThreshold: number | undefined;
  ramThreshold: number | undefined;
  warnThreshold: number | undefined;
  intervalS: number | undefined;
  graceS: number | undefined;
  victimPolicy: 'largest' | 'role-order' | undefined;
  /** --spare-subject / -observer / -god: left to the kernel's limit by the watchdog. */
  spare: Partial<Record<Role, boolean>>;
  thermalC: number | undefined;
  watchdogTiming: 'adaptive' | 'original' | undefined;
  reserveGb: number | undefined;
  webHost: string;
  /** 0 = any free port. */
  webPort: number;
  dataDir: string | undefined;
  jsonEvents: boolean;
  autostart: boolean;
  /** Matrix: one instance loads at a time (--no-admission starts all at once, for comparison). */
  admission: boolean;
  kiosk: boolean;
  threads: number | undefined;
  maxTokens: number;
  temperature: number;
  thinkPauseS: number;
  resurrectDelayS: number;
  /** doctor and plan: print one JSON object instead of the report. */
  json: boolean;
  /** Recorded inputs in place of this machine's (doctor, plan). */
  meminfo: string | undefined;
  nvidiaSmi: string | undefined;
  tegrastats: string | undefined;
  gpuLoadFile: string | undefined;
  nvTegraRelease: string | undefined;
  jetson: boolean;
  cores: number | undefined;
  /** service: the unit's limits (default: the original's 24G / 22G / 600% scaled to the board). */
  memoryMaxGb: number | undefined;
  memoryHighGb: number | undefined;
  cpuQuota: number | undefined;
  /** service: write the unit to ~/.config/systemd/user/ (else print it). */
  install: boolean;
  print: boolean;
}

export type ParsedArgs =
  | { ok: true; command: 'help'; topic: Command }
  | { ok: true; command: Command; flags: Flags }
  | { ok: false; message: string };

interface FlagSpec {
  /** The field it sets; a role flag sets one role of a record field. */
  key: keyof Flags;
  role?: Role;
  commands: readonly Command[];
  /** Flags without a value set `true` (or `false` for the --no- form). */
  boolean?: boolean;
  schema?: s.Schema<unknown>;
  kind?: 'number' | 'path';
  value?: string;
  help: string;
}

const ALL: readonly Command[] = COMMANDS;
const RUN: readonly Command[] = ['run'];
const PLANNING: readonly Command[] = ['run', 'plan'];
const RECORDED: readonly Command[] = ['doctor', 'plan', 'service'];
const SERVICE: readonly Command[] = ['service'];
const seconds = (max: number) => s.number({ min: 0, max, unit: ' s' });
const field = SETTING_SCHEMAS;

function roleFlags(prefix: string, key: 'roleModels' | 'ramLimitsGb' | 'spare', spec: Omit<FlagSpec, 'key' | 'role'>) {
  return Object.fromEntries(
    (['SUBJECT', 'OBSERVER', 'GOD'] as const).map((role) => [
      `${prefix}-${role.toLowerCase()}`,
      { ...spec, key, role, help: spec.help.replace('ROLE', role) },
    ]),
  ) as Record<string, FlagSpec>;
}

export const FLAG_SPECS: Record<string, FlagSpec> = {
  '--mode': {
    key: 'mode',
    commands: [...PLANNING, 'service'],
    schema: s.literalUnion(['single', 'matrix'] as const),
    value: 'single|matrix',
    help: 'single: one isolated mind (SUBJECT); matrix: SUBJECT, OBSERVER and GOD (default single)',
  },
  '--model': {
    key: 'model',
    commands: PLANNING,
    kind: 'path',
    value: 'PATH',
    help: 'GGUF model file of every role (default: a generated demo model)',
  },
  ...roleFlags('--model', 'roleModels', { commands: PLANNING, kind: 'path', value: 'PATH', help: "ROLE's model file" }),
  ...roleFlags('--ram-limit', 'ramLimitsGb', {
    commands: PLANNING,
    schema: field.gigabytes,
    kind: 'number',
    value: 'GB',
    help: "ROLE's RAM limit (default: the original's 6/7/7 GB scaled to this board)",
  }),
  '--strategy': {
    key: 'strategy',
    commands: PLANNING,
    schema: field.strategy,
    value: 'seed|fit|manual',
    help: "offload plan: fit (default) fits every instance in the budgets; seed is the original's tiers; manual uses --gpu-layers and --context",
  },
  '--aggressive': { key: 'aggressive', commands: ALL, boolean: true, help: "the seed strategy's aggressive tiers" },
  '--gpu-layers': {
    key: 'gpuLayers',
    commands: PLANNING,
    schema: field.gpuLayers,
    kind: 'number',
    value: 'N',
    help: 'layers on the GPU, for the manual strategy',
  },
  '--context': {
    key: 'contextSize',
    commands: PLANNING,
    schema: field.contextSize,
    kind: 'number',
    value: 'TOKENS',
    help: "context size: manual's, or where fit starts (default 4096, or the model's own if smaller)",
  },
  '--gpu-threshold': {
    key: 'gpuThreshold',
    commands: PLANNING,
    schema: field.gpuThreshold,
    kind: 'number',
    value: 'PCT',
    help: 'GPU memory use that is too much (default 85); the plan stays under it',
  },
  '--ram-threshold': {
    key: 'ramThreshold',
    commands: RUN,
    schema: field.ramThreshold,
    kind: 'number',
    value: 'PCT',
    help: 'system RAM use at which the watchdog stops an instance (default 90)',
  },
  '--warn-threshold': {
    key: 'warnThreshold',
    commands: RUN,
    schema: field.warnThreshold,
    kind: 'number',
    value: 'PCT',
    help: 'above this the watchdog samples faster and nothing starts or comes back (default 70)',
  },
  '--interval': {
    key: 'intervalS',
    commands: RUN,
    schema: field.intervalS,
    kind: 'number',
    value: 'S',
    help: "the watchdog's sampling interval far from every limit, seconds (default 2; it speeds up to 0.1 s near one)",
  },
  '--grace': {
    key: 'graceS',
    commands: RUN,
    schema: field.graceS,
    kind: 'number',
    value: 'S',
    help: 'time between SIGTERM and SIGKILL, seconds (default 2)',
  },
  '--victim-policy': {
    key: 'victimPolicy',
    commands: RUN,
    schema: field.victimPolicy,
    value: 'largest|role-order',
    help: 'who the watchdog stops first at a board threshold: the largest user, or SUBJECT, OBSERVER, GOD (default largest)',
  },
  ...roleFlags('--spare', 'spare', {
    commands: RUN,
    boolean: true,
    help: "the watchdog leaves ROLE to the kernel's limit alone",
  }),
  '--thermal-threshold': {
    key: 'thermalC',
    commands: RUN,
    schema: field.thermalC,
    kind: 'number',
    value: 'C',
    help: 'above this temperature generation pauses until the board is 5 C cooler (default 85)',
  },
  '--watchdog-timing': {
    key: 'watchdogTiming',
    commands: RUN,
    schema: field.watchdogTiming,
    value: 'adaptive|original',
    help: "original: the original's polling (2 s, 1 s above 70%, no re-read), for comparison (default adaptive)",
  },
  '--reserve': {
    key: 'reserveGb',
    commands: ALL,
    schema: field.gigabytes,
    kind: 'number',
    value: 'GB',
    help: 'RAM kept for the system, never given to instances (default the larger of 2 GB and 25% of the RAM)',
  },
  '--web-host': {
    key: 'webHost',
    commands: RUN,
    schema: s.string({ minLength: 1, maxLength: 255 }),
    value: 'HOST',
    help: 'address the panel is served on (default 127.0.0.1; anything else is reachable from the network)',
  },
  '--web-port': {
    key: 'webPort',
    commands: RUN,
    schema: s.number({ min: 0, max: 65535, integer: true }),
    kind: 'number',
    value: 'PORT',
    help: 'port of the panel and its WebSocket (default 8095; 0 = any free port)',
  },
  '--data-dir': {
    key: 'dataDir',
    commands: [...RUN, 'service'],
    kind: 'path',
    value: 'DIR',
    help: 'where transcripts, events, logs and settings go (default $XDG_CONFIG_HOME/brain-in-jar)',
  },
  '--json-events': {
    key: 'jsonEvents',
    commands: RUN,
    boolean: true,
    help: 'print every event as one JSON object per line on stdout',
  },
  '--no-autostart': {
    key: 'autostart',
    commands: RUN,
    boolean: true,
    help: 'do not start the instances; wait for Start in the panel',
  },
  '--kiosk': { key: 'kiosk', commands: RUN, boolean: true, help: 'Electron only: fullscreen on the attached display' },
  '--no-admission': {
    key: 'admission',
    commands: RUN,
    boolean: true,
    help: 'matrix: start every instance at once instead of one load at a time (only to compare; the load spikes add up)',
  },
  '--threads': {
    key: 'threads',
    commands: RUN,
    schema: s.number({ min: 1, max: 256, integer: true }),
    kind: 'number',
    value: 'N',
    help: "CPU threads per instance (default: the plan's)",
  },
  '--max-tokens': {
    key: 'maxTokens',
    commands: RUN,
    schema: s.number({ min: 1, max: 32_768, integer: true }),
    kind: 'number',
    value: 'N',
    help: 'longest reflection, in tokens (default 512, as the original)',
  },
  '--temperature': {
    key: 'temperature',
    commands: RUN,
    schema: s.number({ min: 0, max: 2 }),
    kind: 'number',
    value: 'T',
    help: 'sampling temperature (default 0.7, as the original)',
  },
  '--think-pause': {
    key: 'thinkPauseS',
    commands: RUN,
    schema: seconds(3600),
    kind: 'number',
    value: 'S',
    help: 'pause between two reflections, seconds (default 1)',
  },
  '--resurrect-delay': {
    key: 'resurrectDelayS',
    commands: RUN,
    schema: seconds(3600),
    kind: 'number',
    value: 'S',
    help: 'pause before a dead instance comes back, seconds; doubled for quick repeated deaths (default 3)',
  },
  '--json': {
    key: 'json',
    commands: ['doctor', 'plan'],
    boolean: true,
    help: 'print one JSON object instead of the report',
  },
  '--print': { key: 'print', commands: SERVICE, boolean: true, help: 'print the unit (the default)' },
  '--install': {
    key: 'install',
    commands: SERVICE,
    boolean: true,
    help: 'write the unit to ~/.config/systemd/user/brain-in-jar.service',
  },
  '--memory-max': {
    key: 'memoryMaxGb',
    commands: SERVICE,
    schema: field.gigabytes,
    kind: 'number',
    value: 'GB',
    help: "the unit's MemoryMax (default 24G on a 32 GB board, scaled: 75% of the RAM)",
  },
  '--memory-high': {
    key: 'memoryHighGb',
    commands: SERVICE,
    schema: field.gigabytes,
    kind: 'number',
    value: 'GB',
    help: "the unit's MemoryHigh (default 22G on a 32 GB board, scaled)",
  },
  '--cpu-quota': {
    key: 'cpuQuota',
    commands: SERVICE,
    schema: s.number({ min: 10, max: 100_000, integer: true, unit: '%' }),
    kind: 'number',
    value: 'PCT',
    help: "the unit's CPUQuota (default 600% on a 12-core board, scaled: half the cores)",
  },
  '--meminfo': {
    key: 'meminfo',
    commands: RECORDED,
    kind: 'path',
    value: 'FILE',
    help: "a recorded /proc/meminfo instead of this machine's",
  },
  '--nvidia-smi': {
    key: 'nvidiaSmi',
    commands: RECORDED,
    kind: 'path',
    value: 'FILE',
    help: 'recorded output of nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu,temperature.gpu --format=csv (any header/units form)',
  },
  '--tegrastats': {
    key: 'tegrastats',
    commands: RECORDED,
    kind: 'path',
    value: 'FILE',
    help: 'recorded tegrastats output (a Jetson)',
  },
  '--gpu-load-file': {
    key: 'gpuLoadFile',
    commands: RECORDED,
    kind: 'path',
    value: 'FILE',
    help: 'a recorded Jetson devfreq GPU load (per-mille), e.g. /sys/devices/platform/gpu.0/load',
  },
  '--nv-tegra-release': {
    key: 'nvTegraRelease',
    commands: RECORDED,
    kind: 'path',
    value: 'FILE',
    help: 'a recorded /etc/nv_tegra_release (a Jetson)',
  },
  '--jetson': { key: 'jetson', commands: RECORDED, boolean: true, help: 'treat the (recorded) board as a Jetson' },
  '--cores': {
    key: 'cores',
    commands: RECORDED,
    schema: s.number({ min: 1, max: 1024, integer: true }),
    kind: 'number',
    value: 'N',
    help: "CPU cores of the recorded board (default this machine's)",
  },
};

export function defaultFlags(): Flags {
  return {
    mode: undefined,
    model: undefined,
    roleModels: {},
    ramLimitsGb: {},
    strategy: undefined,
    aggressive: false,
    gpuLayers: undefined,
    contextSize: undefined,
    gpuThreshold: undefined,
    ramThreshold: undefined,
    warnThreshold: undefined,
    intervalS: undefined,
    graceS: undefined,
    victimPolicy: undefined,
    spare: {},
    thermalC: undefined,
    watchdogTiming: undefined,
    reserveGb: undefined,
    webHost: '127.0.0.1',
    webPort: 8095,
    dataDir: undefined,
    jsonEvents: false,
    autostart: true,
    admission: true,
    kiosk: false,
    threads: undefined,
    maxTokens: 512,
    temperature: 0.7,
    thinkPauseS: 1,
    resurrectDelayS: 3,
    json: false,
    meminfo: undefined,
    nvidiaSmi: undefined,
    tegrastats: undefined,
    gpuLoadFile: undefined,
    nvTegraRelease: undefined,
    jetson: false,
    cores: undefined,
    memoryMaxGb: undefined,
    memoryHighGb: undefined,
    cpuQuota: undefined,
    install: false,
    print: false,
  };
}

export function parseArgs(argv: readonly string[], cwd: string = process.cwd()): ParsedArgs {
  const flags = defaultFlags() as unknown as Record<string, unknown>;
  const rest = [...argv];
  let command: Command = 'run';
  if ((COMMANDS as readonly string[]).includes(rest[0] ?? '')) command = rest.shift() as Command;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h' || arg === 'help') return { ok: true, command: 'help', topic: command };
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    const spec = FLAG_SPECS[name];
    if (!spec) {
      return { ok: false, message: arg.startsWith('-') ? `unknown flag ${name}` : `unexpected argument "${arg}"` };
    }
    if (!spec.commands.includes(command)) {
      return {
        ok: false,
        message: `${name} is not a flag of \`${command}\` (it belongs to ${spec.commands.join(', ')})`,
      };
    }
    if (spec.boolean) {
      if (inline !== undefined) return { ok: false, message: `${name} takes no value` };
      const value = !name.startsWith('--no-');
      if (spec.role) (flags[spec.key] as Record<string, unknown>)[spec.role] = value;
      else flags[spec.key] = value;
      continue;
    }
    const raw = inline ?? rest[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith('--'))) {
      return { ok: false, message: `${name} needs a value (${spec.value ?? 'VALUE'})` };
    }
    let value: unknown = raw;
    if (spec.kind === 'path') {
      if (raw.trim() === '') return { ok: false, message: `${name} must not be empty` };
      value = path.resolve(cwd, raw);
    } else if (spec.kind === 'number') {
      value = raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
    }
    if (spec.schema) {
      const parsed = spec.schema.parse(value, name);
      if (!parsed.ok) return { ok: false, message: parsed.message };
      value = parsed.value;
    }
    if (spec.role) (flags[spec.key] as Record<string, unknown>)[spec.role] = value;
    else flags[spec.key] = value;
  }
  return { ok: true, command, flags: flags as unknown as Flags };
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
};

export function usage(command: Command = 'run', program = 'brain-in-jar'): string {
  const lines = [
    `Usage: ${program} ${command === 'run' ? '[run]' : command} [flags]`,
    '',
    SUMMARIES[command],
    command === 'run'
      ? `Other commands: ${program} doctor --help, ${program} plan --help, ${program} service --help`
      : '',
    '',
    'Flags:',
  ];
  for (const [name, spec] of Object.entries(FLAG_SPECS)) {
    if (!spec.commands.includes(command)) continue;
    const left = spec.value ? `${name} ${spec.value}` : name;
    lines.push(`  ${left.padEnd(28)} ${spec.help}`);
  }
  return lines.join('\n');
}
