import { MIB } from '../../../shared/board.js';

/**
 * Parser for `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`, as printed by real drivers: with or
 * without the header line, with or without units ("5934 MiB", "20 %"), one line per GPU, and fields that read
 * [N/A], [Not Supported], plain N/A or other bracketed notes when the driver cannot say (a Jetson says it for all
 * memory fields). Values no GPU can have (negative or absurd memory, used above total, a load over 100 %: what a
 * broken driver or tool prints, e.g. "-1,-2,-3,-4,-5") are rejected: unknown, and named in `rejected`.
 */

/** The command: nvidia-smi, or the stand-in BRAIN_IN_JAR_NVIDIA_SMI names (tests, a wrapper on an odd system). */
export function nvidiaSmiCommand(): string {
  return process.env.BRAIN_IN_JAR_NVIDIA_SMI || 'nvidia-smi';
}

/** The host's own query, in this order. */
export const HOST_QUERY_FIELDS = ['name', 'memory.used', 'memory.total', 'utilization.gpu', 'temperature.gpu'] as const;

export interface NvidiaGpu {
  index: number;
  name: string | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  utilizationPercent: number | null;
  temperatureC: number | null;
  /** Fields whose values were given but cannot be true, and so are null; absent when there were none. */
  rejected?: string[];
}

/** More memory than any GPU has by orders of magnitude (16 TiB, in MiB): a broken reading. */
const MAX_MEMORY_MIB = 16 * 2 ** 20;

/** The range each numeric field can take on a working GPU. */
const PLAUSIBLE: Record<string, [number, number]> = {
  'memory.used': [0, MAX_MEMORY_MIB],
  'memory.total': [0, MAX_MEMORY_MIB],
  'utilization.gpu': [0, 100],
  'temperature.gpu': [0, 150],
};

const FIELD_NAME = /^[a-z_][a-z0-9_.]*(\s*\[[^\]]*\])?$/i;

function cleanField(header: string): string {
  return header
    .replace(/\s*\[[^\]]*\]\s*$/, '')
    .trim()
    .toLowerCase();
}

/** A value the driver could not give: [N/A], [Not Supported], N/A, [Unknown Error], and the like. */
function isMissing(value: string): boolean {
  return value === '' || /^\[.*\]$/.test(value) || /^n\/a$/i.test(value) || /^not supported$/i.test(value);
}

function numberOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (isMissing(trimmed)) return null;
  const match = /^(-?\d+(?:\.\d+)?)\s*(mib|%|w|mhz|c)?$/i.exec(trimmed);
  return match ? Number(match[1]) : null;
}

/**
 * Parses the output. `fields` names the columns when the output has no header (default: the host's query); a header
 * line, when present, wins. Lines that are not data (a shell prompt, a blank) are skipped.
 */
export function parseNvidiaSmiCsv(text: string, fields: readonly string[] = HOST_QUERY_FIELDS): NvidiaGpu[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  let columns = fields.map((field) => field.toLowerCase());
  const gpus: NvidiaGpu[] = [];
  for (const line of lines) {
    const cells = line.split(',').map((cell) => cell.trim());
    if (
      cells.every((cell) => FIELD_NAME.test(cell)) &&
      cells.some((cell) => /[a-z]\.[a-z]|^name$|^index$/i.test(cell))
    ) {
      columns = cells.map(cleanField);
      continue;
    }
    if (cells.length !== columns.length) continue;
    const value = (field: string): string | undefined => {
      const at = columns.indexOf(field);
      return at === -1 ? undefined : cells[at];
    };
    const rejected: string[] = [];
    const plausible = (field: string): number | null => {
      const given = value(field);
      const parsed = numberOf(given);
      const [min, max] = PLAUSIBLE[field]!;
      if (parsed !== null && parsed >= min && parsed <= max) return parsed;
      if (given !== undefined && !isMissing(given.trim())) rejected.push(field);
      return null;
    };
    const name = value('name');
    let used = plausible('memory.used');
    let total = plausible('memory.total');
    if (used !== null && total !== null && used > total) {
      rejected.push('memory.used', 'memory.total');
      used = total = null;
    }
    const index = numberOf(value('index'));
    gpus.push({
      index: index ?? gpus.length,
      // A number is not a GPU's name: the row is garbage there too.
      name: name === undefined || isMissing(name) || numberOf(name) !== null ? null : name,
      memoryUsedBytes: used === null ? null : Math.round(used * MIB),
      memoryTotalBytes: total === null ? null : Math.round(total * MIB),
      utilizationPercent: plausible('utilization.gpu'),
      temperatureC: plausible('temperature.gpu'),
      ...(rejected.length > 0 && { rejected }),
    });
  }
  return gpus;
}

/** A line that reads as GPUs with nothing rejected: the tool is answering. */
export function isGoodReading(gpus: readonly NvidiaGpu[]): boolean {
  return gpus.length > 0 && gpus.every((gpu) => gpu.rejected === undefined);
}
