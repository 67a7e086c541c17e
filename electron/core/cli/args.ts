import path from 'node:path';

import * as s from '../../../shared/schema.js';

/**
 * The one command-line parser, shared by the Electron shell and the headless host (and the bin). Every flag is
 * declared once here with its schema, so a bad value is refused with the flag named, before anything starts.
 */

export type Command = 'run' | 'help';

export interface RunFlags {
  mode: 'single' | 'matrix';
  /** The model; undefined means the generated demo model. */
  model: string | undefined;
  webHost: string;
  /** 0 = any free port. */
  webPort: number;
  dataDir: string | undefined;
  jsonEvents: boolean;
  autostart: boolean;
  kiosk: boolean;
  threads: number | undefined;
  contextSize: number | undefined;
  gpuLayers: number | undefined;
  maxTokens: number;
  temperature: number;
  thinkPauseS: number;
  resurrectDelayS: number;
  graceS: number;
  sampleIntervalS: number;
}

export type ParsedArgs =
  { ok: true; command: 'help' } | { ok: true; command: 'run'; flags: RunFlags } | { ok: false; message: string };

interface FlagSpec {
  key: keyof RunFlags;
  /** Flags without a value set `true` (or `false` for the --no- form). */
  boolean?: boolean;
  schema?: s.Schema<unknown>;
  kind?: 'number' | 'path' | 'text';
  help: string;
  value?: string;
}

const seconds = (max: number) => s.number({ min: 0, max, unit: ' s' });

export const FLAG_SPECS: Record<string, FlagSpec> = {
  '--mode': {
    key: 'mode',
    schema: s.literalUnion(['single', 'matrix'] as const),
    value: 'single|matrix',
    help: 'single: one isolated mind (SUBJECT); matrix: SUBJECT, OBSERVER and GOD (default single)',
  },
  '--model': { key: 'model', kind: 'path', value: 'PATH', help: 'GGUF model file (default: a generated demo model)' },
  '--web-host': {
    key: 'webHost',
    schema: s.string({ minLength: 1, maxLength: 255 }),
    value: 'HOST',
    help: 'address the panel is served on (default 127.0.0.1; anything else is reachable from the network)',
  },
  '--web-port': {
    key: 'webPort',
    schema: s.number({ min: 0, max: 65535, integer: true }),
    kind: 'number',
    value: 'PORT',
    help: 'port of the panel and its WebSocket (default 8095; 0 = any free port)',
  },
  '--data-dir': {
    key: 'dataDir',
    kind: 'path',
    value: 'DIR',
    help: 'where transcripts, events, logs and settings go (default $XDG_CONFIG_HOME/brain-in-jar)',
  },
  '--json-events': {
    key: 'jsonEvents',
    boolean: true,
    help: 'print every event as one JSON object per line on stdout',
  },
  '--no-autostart': {
    key: 'autostart',
    boolean: true,
    help: 'do not start the instances; wait for Start in the panel',
  },
  '--kiosk': { key: 'kiosk', boolean: true, help: 'Electron only: fullscreen on the attached display' },
  '--threads': {
    key: 'threads',
    schema: s.number({ min: 1, max: 256, integer: true }),
    kind: 'number',
    value: 'N',
    help: 'CPU threads per instance (default: half the cores, at most 6)',
  },
  '--context': {
    key: 'contextSize',
    schema: s.number({ min: 256, max: 1_048_576, integer: true }),
    kind: 'number',
    value: 'TOKENS',
    help: "context size (default 2048, or the model's own if smaller)",
  },
  '--gpu-layers': {
    key: 'gpuLayers',
    schema: s.number({ min: 0, max: 10_000, integer: true }),
    kind: 'number',
    value: 'N',
    help: 'layers to offload to the GPU (default 0)',
  },
  '--max-tokens': {
    key: 'maxTokens',
    schema: s.number({ min: 1, max: 32_768, integer: true }),
    kind: 'number',
    value: 'N',
    help: 'longest reflection, in tokens (default 512, as the original)',
  },
  '--temperature': {
    key: 'temperature',
    schema: s.number({ min: 0, max: 2 }),
    kind: 'number',
    value: 'T',
    help: 'sampling temperature (default 0.7, as the original)',
  },
  '--think-pause': {
    key: 'thinkPauseS',
    schema: seconds(3600),
    kind: 'number',
    value: 'S',
    help: 'pause between two reflections, seconds (default 1)',
  },
  '--resurrect-delay': {
    key: 'resurrectDelayS',
    schema: seconds(3600),
    kind: 'number',
    value: 'S',
    help: 'pause before a dead instance comes back, seconds; doubled for quick repeated deaths (default 3)',
  },
  '--grace': {
    key: 'graceS',
    schema: s.number({ min: 0.1, max: 60, unit: ' s' }),
    kind: 'number',
    value: 'S',
    help: 'time between SIGTERM and SIGKILL, seconds (default 2)',
  },
  '--sample-interval': {
    key: 'sampleIntervalS',
    schema: s.number({ min: 0.1, max: 60, unit: ' s' }),
    kind: 'number',
    value: 'S',
    help: 'how often memory is sampled for the charts, seconds (default 1)',
  },
};

export function defaultRunFlags(): RunFlags {
  return {
    mode: 'single',
    model: undefined,
    webHost: '127.0.0.1',
    webPort: 8095,
    dataDir: undefined,
    jsonEvents: false,
    autostart: true,
    kiosk: false,
    threads: undefined,
    contextSize: undefined,
    gpuLayers: undefined,
    maxTokens: 512,
    temperature: 0.7,
    thinkPauseS: 1,
    resurrectDelayS: 3,
    graceS: 2,
    sampleIntervalS: 1,
  };
}

export function parseArgs(argv: readonly string[], cwd: string = process.cwd()): ParsedArgs {
  const flags = defaultRunFlags();
  const rest = [...argv];
  if (rest[0] === 'run') rest.shift();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h' || arg === 'help') return { ok: true, command: 'help' };
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    const spec = FLAG_SPECS[name];
    if (!spec) {
      return {
        ok: false,
        message: arg.startsWith('-') ? `unknown flag ${name}` : `unexpected argument "${arg}"`,
      };
    }
    if (spec.boolean) {
      if (inline !== undefined) return { ok: false, message: `${name} takes no value` };
      (flags as unknown as Record<string, unknown>)[spec.key] = !name.startsWith('--no-');
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
      value = raw.trim() === '' ? Number.NaN : Number(raw);
      if (Number.isNaN(value)) value = raw;
    }
    if (spec.schema) {
      const parsed = spec.schema.parse(value, name);
      if (!parsed.ok) return { ok: false, message: parsed.message };
      value = parsed.value;
    }
    (flags as unknown as Record<string, unknown>)[spec.key] = value;
  }
  return { ok: true, command: 'run', flags };
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

export function usage(program = 'brain-in-jar'): string {
  const lines = [
    `Usage: ${program} [run] [flags]`,
    '',
    'Runs the Brain in a Jar host and serves its control panel.',
    '',
    'Flags:',
  ];
  for (const [name, spec] of Object.entries(FLAG_SPECS)) {
    const left = spec.value ? `${name} ${spec.value}` : name;
    lines.push(`  ${left.padEnd(26)} ${spec.help}`);
  }
  return lines.join('\n');
}
