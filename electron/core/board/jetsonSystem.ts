import fs from 'node:fs';
import path from 'node:path';

import { formatGb } from '../../../shared/board.js';
import { readIfPresent } from '../readIfPresent.js';
import { ToolQuery } from '../toolQuery.js';

/**
 * What changes the meaning of doctor's memory and speed lines on a Jetson, each "unknown" where it cannot be read and
 * none of it ever blocking: zram swap (JetPack's nvzramconfig turns it on by default: "swap" that is RAM, compressed),
 * the power mode (`nvpmodel -q`, else /var/lib/nvpmodel/status with the names in /etc/nvpmodel.conf) and whether the
 * clocks are pinned (`jetson_clocks --show`, which wants root, else the GPU's devfreq limits).
 */

export interface SystemFact {
  known: boolean;
  /** One line for a person. */
  summary: string;
  /** Where it was read, or why it could not be. */
  source: string;
}

export interface ZramFact extends SystemFact {
  devices: number;
  totalBytes: number;
  usedBytes: number;
}

export interface PowerModeFact extends SystemFact {
  mode: string | null;
  id: number | null;
}

export interface ClocksFact extends SystemFact {
  /** True when jetson_clocks pinned them (minimum = maximum), false when they scale, null when unknown. */
  pinned: boolean | null;
}

export interface JetsonSystemFacts {
  zram: ZramFact;
  powerMode: PowerModeFact;
  clocks: ClocksFact;
}

export interface SwapDevice {
  name: string;
  type: string;
  sizeBytes: number;
  usedBytes: number;
  priority: number;
}

/** /proc/swaps (or `swapon -s`): sizes are in KiB. The header line and anything else unparsable are skipped. */
export function parseProcSwaps(text: string): SwapDevice[] {
  const devices: SwapDevice[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !fields[0]!.startsWith('/')) continue;
    const [name, type, size, used, priority] = fields as [string, string, string, string, string];
    if (![size, used, priority].every((value) => /^-?\d+$/.test(value))) continue;
    devices.push({
      name,
      type,
      sizeBytes: Number(size) * 1024,
      usedBytes: Number(used) * 1024,
      priority: Number(priority),
    });
  }
  return devices;
}

export function zramFact(swapsText: string | null, source = '/proc/swaps'): ZramFact {
  if (swapsText === null) {
    return {
      known: false,
      summary: 'unknown',
      source: `${source} could not be read`,
      devices: 0,
      totalBytes: 0,
      usedBytes: 0,
    };
  }
  const devices = parseProcSwaps(swapsText);
  const zram = devices.filter((device) => /^\/dev\/zram\d+$/.test(device.name));
  const totalBytes = zram.reduce((sum, device) => sum + device.sizeBytes, 0);
  const usedBytes = zram.reduce((sum, device) => sum + device.usedBytes, 0);
  const other = devices.length - zram.length;
  const others = other === 0 ? 'no other swap' : `${other} other swap device${other === 1 ? '' : 's'}`;
  return {
    known: true,
    summary:
      zram.length === 0
        ? `off (${devices.length === 0 ? 'no swap at all' : others})`
        : `on: ${zram.length} device${zram.length === 1 ? '' : 's'}, ${formatGb(totalBytes)} (${formatGb(usedBytes)} used), ` +
          `${others}; pages swapped there stay in RAM, compressed, so the RAM runs out sooner than the swap figure says`,
    source,
    devices: zram.length,
    totalBytes,
    usedBytes,
  };
}

/** `nvpmodel -q`: "NV Power Mode: MAXN" and the mode's number on the next line (warnings may come first). */
export function parseNvpmodelQuery(text: string): { mode: string; id: number | null } | null {
  const mode = /NV Power Mode:\s*(\S+)/.exec(text);
  if (!mode) return null;
  const after = text.slice(mode.index + mode[0].length);
  const id = /^\s*(\d+)\s*$/m.exec(after);
  return { mode: mode[1]!, id: id ? Number(id[1]) : null };
}

/** /etc/nvpmodel.conf: "< POWER_MODEL ID=0 NAME=MAXN >" lines, by id. */
export function parseNvpmodelConf(text: string): Map<number, string> {
  const modes = new Map<number, string>();
  for (const match of text.matchAll(/<\s*POWER_MODEL\s+ID=(\d+)\s+NAME=(\S+)\s*>/g))
    modes.set(Number(match[1]), match[2]!);
  return modes;
}

export interface JetsonClocks {
  pinned: boolean;
  gpuHz: { min: number; max: number; current: number } | null;
  powerMode: string | null;
}

/** `jetson_clocks --show`: pinned when every online CPU and the GPU run with their minimum at their maximum. */
export function parseJetsonClocksShow(text: string): JetsonClocks | null {
  if (!/SOC family:/.test(text)) return null;
  const cpus = [...text.matchAll(/^cpu\d+:\s*(.*)$/gm)].map((match) => match[1]!);
  const online = cpus.filter((line) => !/Online=0/.test(line));
  const cpuPinned =
    online.length > 0 &&
    online.every((line) => {
      const min = /MinFreq=(\d+)/.exec(line)?.[1];
      const max = /MaxFreq=(\d+)/.exec(line)?.[1];
      return min !== undefined && min === max;
    });
  const gpu = /^GPU MinFreq=(\d+) MaxFreq=(\d+) CurrentFreq=(\d+)/m.exec(text);
  const gpuHz = gpu ? { min: Number(gpu[1]), max: Number(gpu[2]), current: Number(gpu[3]) } : null;
  return {
    pinned: cpuPinned && gpuHz !== null && gpuHz.min === gpuHz.max,
    gpuHz,
    powerMode: /NV Power Mode:\s*(\S+)/.exec(text)?.[1] ?? null,
  };
}

const MHZ = 1e6;

function gpuRange(gpu: { min: number; max: number; current: number }): string {
  return gpu.min === gpu.max
    ? `GPU ${Math.round(gpu.max / MHZ)} MHz (minimum = maximum)`
    : `GPU ${Math.round(gpu.min / MHZ)}-${Math.round(gpu.max / MHZ)} MHz, now ${Math.round(gpu.current / MHZ)}`;
}

export function clocksFact(jetsonClocks: JetsonClocks | null, devfreq: DevfreqLimits | null, why: string): ClocksFact {
  if (jetsonClocks) {
    return {
      known: true,
      pinned: jetsonClocks.pinned,
      summary:
        (jetsonClocks.pinned
          ? 'pinned at their maximum (jetson_clocks applied)'
          : 'scaling (jetson_clocks not applied)') + (jetsonClocks.gpuHz ? `: ${gpuRange(jetsonClocks.gpuHz)}` : ''),
      source: 'jetson_clocks --show',
    };
  }
  if (devfreq) {
    const pinned = devfreq.min === devfreq.max;
    return {
      known: true,
      pinned,
      summary: `${pinned ? 'GPU clock pinned (jetson_clocks applied, or a fixed devfreq minimum)' : 'GPU clock scaling'}: ${gpuRange(devfreq)}`,
      source: `${devfreq.dir} (${why})`,
    };
  }
  return { known: false, pinned: null, summary: 'unknown', source: why };
}

export interface DevfreqLimits {
  dir: string;
  min: number;
  max: number;
  current: number;
}

/** The Jetson GPU's devfreq node (17000000.ga10b on JetPack 5, 17000000.gpu on 6, 57000000.gpu on a Nano). */
export function readGpuDevfreq(root = '/sys/class/devfreq'): DevfreqLimits | null {
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((name) => /gpu|ga10b|gv11b|gp10b|gm20b/.test(name));
  } catch {
    return null;
  }
  for (const name of names.sort()) {
    const dir = path.join(root, name);
    const read = (file: string) => Number(fs.readFileSync(path.join(dir, file), 'utf8').trim());
    try {
      const limits = { dir, min: read('min_freq'), max: read('max_freq'), current: read('cur_freq') };
      if ([limits.min, limits.max, limits.current].every(Number.isFinite)) return limits;
    } catch {
      // the next one
    }
  }
  return null;
}

export interface CommandResult {
  stdout: string;
  error: string | null;
}

/**
 * Runs a tool with a deadline, in a process group of its own that is killed at the deadline (a hung nvpmodel with a
 * child holding its output open goes with it); never throws. /usr/sbin is added to the PATH: systemd's may not have it.
 */
export async function runTool(command: string, args: string[], deadlineMs: number): Promise<CommandResult> {
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin` };
  const outcome = await new ToolQuery({ command: () => command, args, deadlineMs, env, stderr: true }).run();
  if (outcome.kind === 'missing') return { stdout: '', error: `${command} not found` };
  if (outcome.kind === 'failed') return { stdout: '', error: outcome.reason };
  if (outcome.code === 0) return { stdout: outcome.stdout, error: null };
  const said = (outcome.stderr || outcome.stdout).trim().split('\n')[0] || `exit ${outcome.signal ?? outcome.code}`;
  return { stdout: outcome.stdout, error: `${command} failed: ${said}` };
}

export function powerModeFact(query: CommandResult, statusText: string | null, confText: string | null): PowerModeFact {
  const parsed = query.error === null ? parseNvpmodelQuery(query.stdout) : null;
  if (parsed) return { known: true, ...parsed, summary: describeMode(parsed), source: 'nvpmodel -q' };
  const id = statusText ? /pmode:\s*(\d+)/.exec(statusText)?.[1] : undefined;
  if (id !== undefined) {
    const mode = confText ? (parseNvpmodelConf(confText).get(Number(id)) ?? null) : null;
    return {
      known: true,
      mode,
      id: Number(id),
      summary: describeMode({ mode: mode ?? `mode ${Number(id)}`, id: Number(id) }),
      source: `/var/lib/nvpmodel/status${mode ? ' and /etc/nvpmodel.conf' : ''} (${query.error ?? 'nvpmodel -q said nothing'})`,
    };
  }
  return { known: false, mode: null, id: null, summary: 'unknown', source: query.error ?? 'nvpmodel -q said nothing' };
}

function describeMode(mode: { mode: string; id: number | null }): string {
  return `${mode.mode}${mode.id !== null ? ` (id ${mode.id})` : ''}`;
}

/** Each tool gets this long; the three run side by side. */
export const TOOL_DEADLINE_MS = 3000;

/** This machine's facts; a machine that is not a Jetson says so for the power mode and the clocks. */
export async function readJetsonSystem(jetson: boolean, deadlineMs = TOOL_DEADLINE_MS): Promise<JetsonSystemFacts> {
  const zram = zramFact(readIfPresent('/proc/swaps'));
  if (!jetson) {
    const none = 'not a Jetson (no /etc/nv_tegra_release)';
    return {
      zram,
      powerMode: { known: false, mode: null, id: null, summary: 'unknown', source: none },
      clocks: { known: false, pinned: null, summary: 'unknown', source: none },
    };
  }
  const [query, clocks] = await Promise.all([
    runTool('nvpmodel', ['-q'], deadlineMs),
    runTool('jetson_clocks', ['--show'], deadlineMs),
  ]);
  return {
    zram,
    powerMode: powerModeFact(query, readIfPresent('/var/lib/nvpmodel/status'), readIfPresent('/etc/nvpmodel.conf')),
    clocks: clocksFact(
      clocks.error === null ? parseJetsonClocksShow(clocks.stdout) : null,
      readGpuDevfreq(),
      clocks.error ?? 'jetson_clocks --show printed no clocks',
    ),
  };
}

/** A recorded board: none of these were recorded. */
export function unrecordedJetsonSystem(): JetsonSystemFacts {
  const why = 'recorded board: not recorded';
  return {
    zram: { known: false, summary: 'unknown', source: why, devices: 0, totalBytes: 0, usedBytes: 0 },
    powerMode: { known: false, mode: null, id: null, summary: 'unknown', source: why },
    clocks: { known: false, pinned: null, summary: 'unknown', source: why },
  };
}
