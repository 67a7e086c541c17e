import { MIB } from '../../../shared/board.js';

/**
 * Parser for `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`, as printed by real drivers: with or
 * without the header line, with or without units ("5934 MiB", "20 %"), one line per GPU, and fields that read
 * [N/A], [Not Supported], plain N/A or other bracketed notes when the driver cannot say (a Jetson says it for all
 * memory fields).
 */

/** The host's own query, in this order. */
export const HOST_QUERY_FIELDS = ['name', 'memory.used', 'memory.total', 'utilization.gpu', 'temperature.gpu'] as const;

export interface NvidiaGpu {
  index: number;
  name: string | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  utilizationPercent: number | null;
  temperatureC: number | null;
}

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
    const name = value('name');
    const mib = (field: string) => {
      const parsed = numberOf(value(field));
      return parsed === null ? null : Math.round(parsed * MIB);
    };
    const index = numberOf(value('index'));
    gpus.push({
      index: index ?? gpus.length,
      name: name === undefined || isMissing(name) ? null : name,
      memoryUsedBytes: mib('memory.used'),
      memoryTotalBytes: mib('memory.total'),
      utilizationPercent: numberOf(value('utilization.gpu')),
      temperatureC: numberOf(value('temperature.gpu')),
    });
  }
  return gpus;
}
