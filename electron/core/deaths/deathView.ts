import { DEATH_CAUSES, ROLES, type Role } from '../../../shared/instances.js';
import type { MetricsFrame } from '../../../shared/metrics.js';
import {
  DEATH_SAMPLES_MAX,
  DEATH_WINDOW_MS,
  type DeathSample,
  type DeathSummary,
  type DeathView,
} from '../../../shared/postMortem.js';
import type { DeathRecord } from '../../../shared/transcript.js';

/** What is kept of one watchdog sample for the post-mortems: the board, and each worker's memory and limit. */
export interface KeptSample {
  t: number;
  ramUsedBytes: number;
  ramTotalBytes: number;
  instances: Partial<Record<Role, { memoryBytes: number; limitBytes: number }>>;
}

export function keptSample(frame: MetricsFrame): KeptSample {
  const instances: KeptSample['instances'] = {};
  for (const [role, memory] of Object.entries(frame.instances)) {
    instances[role as Role] = { memoryBytes: memory.rssBytes, limitBytes: memory.limitBytes };
  }
  return { t: frame.t, ramUsedBytes: frame.ramUsedBytes, ramTotalBytes: frame.ramTotalBytes, instances };
}

/**
 * At most `max` samples: where there are more, neighbours are merged keeping the worst of each figure (the highest
 * memory, the highest use of the board, the latest time), so the peak that killed it is never thinned away.
 */
export function boundSamples(samples: readonly DeathSample[], max: number = DEATH_SAMPLES_MAX): DeathSample[] {
  if (samples.length <= max) return [...samples];
  const out: DeathSample[] = [];
  const per = samples.length / max;
  for (let index = 0; index < max; index++) {
    const group = samples.slice(Math.floor(index * per), Math.floor((index + 1) * per));
    out.push(
      group.reduce((worst, sample) => ({
        t: sample.t,
        ramUsedBytes: Math.max(worst.ramUsedBytes, sample.ramUsedBytes),
        memoryBytes: highest(worst.memoryBytes, sample.memoryBytes),
        limitBytes: sample.limitBytes ?? worst.limitBytes,
      })),
    );
  }
  return out;
}

const highest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

export interface DeathFacts {
  sessionId: string;
  record: DeathRecord;
  /** The samples kept before the death, oldest first (any age: those of the minute before are taken). */
  samples: readonly KeptSample[];
  thresholds: { ramThreshold: number; warnThreshold: number };
  /** Crossing -> SIGTERM of the watchdog's kill of this worker, when it killed it. */
  reactionMs: number | null;
}

export function deathId(sessionId: string, role: Role, deaths: number): string {
  return `${sessionId}/${role}/${deaths}`;
}

/** The post-mortem of one death: its figures at the moment, and the minute before it, bounded. */
export function buildDeathView({ sessionId, record, samples, thresholds, reactionMs }: DeathFacts): DeathView {
  const role = record.instance;
  const minute = samples.filter((sample) => sample.t <= record.at && sample.t >= record.at - DEATH_WINDOW_MS);
  const last = minute.at(-1) ?? null;
  const backwards = [...minute].reverse();
  const lastSeen = backwards.find((sample) => sample.instances[role])?.instances[role] ?? null;
  // A worker read as it exits (a zombie) has no memory left: its memory at death is the last one it had.
  const lastAlive = backwards.find((sample) => (sample.instances[role]?.memoryBytes ?? 0) > 0)?.instances[role];
  return {
    id: deathId(sessionId, role, record.deaths),
    instance: role,
    at: record.at,
    deaths: record.deaths,
    cause: record.cause,
    signal: record.signal,
    exitCode: record.exitCode,
    message: record.message,
    memoryBytes: lastAlive?.memoryBytes ?? (record.memoryBytes || null),
    limitBytes: lastSeen?.limitBytes ?? null,
    ramUsedBytes: last?.ramUsedBytes ?? null,
    ramTotalBytes: last?.ramTotalBytes ?? null,
    ramThreshold: thresholds.ramThreshold,
    warnThreshold: thresholds.warnThreshold,
    reactionMs,
    windowMs: DEATH_WINDOW_MS,
    samples: boundSamples(
      minute.map((sample) => ({
        t: sample.t,
        ramUsedBytes: sample.ramUsedBytes,
        memoryBytes: sample.instances[role]?.memoryBytes ?? null,
        limitBytes: sample.instances[role]?.limitBytes ?? null,
      })),
    ),
  };
}

/** The summary's fields only (a record read from disk may carry others). */
export function summaryOf(view: DeathSummary): DeathSummary {
  const { id, instance, at, deaths, cause, signal, exitCode, message, memoryBytes, limitBytes } = view;
  const { ramUsedBytes, ramTotalBytes, ramThreshold, warnThreshold, reactionMs } = view;
  return {
    ...{ id, instance, at, deaths, cause, signal, exitCode, message, memoryBytes, limitBytes },
    ...{ ramUsedBytes, ramTotalBytes, ramThreshold, warnThreshold, reactionMs },
  };
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNumberOrNull = (value: unknown) => value === null || isNumber(value);
const isStringOrNull = (value: unknown) => value === null || typeof value === 'string';

/**
 * A post-mortem read back from disk, checked field by field (a file is outside input: hand-edited, from an older
 * build, cut by a power loss); null when anything is off. Samples beyond the bound are merged down to it.
 */
export function readDeathView(value: unknown): DeathView | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const shapeOk =
    typeof v.id === 'string' &&
    (ROLES as readonly unknown[]).includes(v.instance) &&
    isNumber(v.at) &&
    Number.isSafeInteger(v.deaths) &&
    (DEATH_CAUSES as readonly unknown[]).includes(v.cause) &&
    isStringOrNull(v.signal) &&
    isNumberOrNull(v.exitCode) &&
    isStringOrNull(v.message) &&
    ['memoryBytes', 'limitBytes', 'ramUsedBytes', 'ramTotalBytes', 'reactionMs'].every((key) =>
      isNumberOrNull(v[key]),
    ) &&
    isNumber(v.ramThreshold) &&
    isNumber(v.warnThreshold) &&
    isNumber(v.windowMs) &&
    Array.isArray(v.samples);
  if (!shapeOk) return null;
  const samples: DeathSample[] = [];
  for (const item of v.samples as unknown[]) {
    if (typeof item !== 'object' || item === null) return null;
    const s = item as Record<string, unknown>;
    if (!isNumber(s.t) || !isNumber(s.ramUsedBytes) || !isNumberOrNull(s.memoryBytes) || !isNumberOrNull(s.limitBytes))
      return null;
    samples.push({ t: s.t, ramUsedBytes: s.ramUsedBytes, memoryBytes: s.memoryBytes, limitBytes: s.limitBytes });
  }
  return { ...summaryOf(v as unknown as DeathSummary), windowMs: v.windowMs as number, samples: boundSamples(samples) };
}
