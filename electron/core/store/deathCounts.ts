import fs from 'node:fs';

import { ROLES, type Role } from '../../../shared/instances.js';
import { Emitter, type Dispose } from '../emitter.js';
import { writeFileAtomic } from './atomicFile.js';
import { parseJsonObject } from './jsonObject.js';

export type DeathCounts = Record<Role, number>;

/** A death count: a non-negative safe integer (not -3, not "7", not 1e308). */
export function isDeathCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** What deaths.json held, read strictly. */
export interface ReadCounts {
  /** The counts it holds that are counts. */
  counts: Partial<DeathCounts>;
  /** What was wrong with it, one phrase each; empty when it was whole (or missing). */
  problems: string[];
}

/** Parses deaths.json's text: every role's value must be a count; a missing role is 0 (an older file), not damage. */
export function parseDeathCounts(text: string): ReadCounts {
  const parsed = parseJsonObject(text, 'not an object of counts by role');
  if (!parsed.ok) return { counts: {}, problems: [parsed.problem] };
  const counts: Partial<DeathCounts> = {};
  const problems: string[] = [];
  for (const role of ROLES) {
    if (!Object.hasOwn(parsed.object, role)) continue;
    const value = parsed.object[role];
    if (isDeathCount(value)) counts[role] = value;
    else problems.push(`${role} is ${JSON.stringify(value) ?? String(value)}, not a count`);
  }
  return { counts, problems };
}

/**
 * The death count of each role, kept across restarts of the app. Written atomically after every death, before the
 * resurrection is scheduled, so the next life is always told the right number. Counts only rise: a damaged file is
 * kept aside (deaths.json.corrupt-<time>) and what it cannot vouch for is recovered from the transcripts, with a
 * notice; a save the disk refuses keeps the count in memory until `retrySave` (the data folder's watch) gets it out.
 */
export class DeathCountStore {
  private counts: DeathCounts;
  private unsaved = false;
  private readonly failures = new Emitter<Error>();
  /** What was wrong with deaths.json at start and what was done about it, for the panel; null when it was whole. */
  readonly notice: string | null;

  /**
   * `recover`: the counts the transcripts state (each record carries one), read only when deaths.json is damaged:
   * a role the file cannot vouch for resumes from the highest count its transcripts hold.
   */
  constructor(
    private readonly file: string,
    recover: () => Partial<DeathCounts> = () => ({}),
    now: Date = new Date(),
  ) {
    const { counts, notice } = loadCounts(file, recover, now);
    this.counts = counts;
    this.notice = notice;
    if (notice !== null) this.save();
  }

  get(role: Role): number {
    return this.counts[role];
  }

  /** Records one more death and returns the new count (saved, or held in memory when the disk refuses it). */
  increment(role: Role): number {
    this.counts = { ...this.counts, [role]: this.counts[role] + 1 };
    this.save();
    return this.counts[role];
  }

  /** Hears every save the disk refused. */
  onWriteFailure(listener: (error: Error) => void): Dispose {
    return this.failures.on(listener);
  }

  /** Saves counts a refused save left in memory; true when deaths.json holds every count. */
  retrySave(): boolean {
    if (this.unsaved) this.save();
    return !this.unsaved;
  }

  private save(): void {
    try {
      writeFileAtomic(this.file, `${JSON.stringify(this.counts, null, 2)}\n`);
      this.unsaved = false;
    } catch (error) {
      this.unsaved = true;
      this.failures.fire(error as Error);
    }
  }
}

function loadCounts(
  file: string,
  recover: () => Partial<DeathCounts>,
  now: Date,
): { counts: DeathCounts; notice: string | null } {
  const counts = Object.fromEntries(ROLES.map((role) => [role, 0])) as DeathCounts;
  let read: ReadCounts;
  try {
    read = parseDeathCounts(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { counts, notice: null };
    read = {
      counts: {},
      problems: [`unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`],
    };
  }
  Object.assign(counts, read.counts);
  if (read.problems.length === 0) return { counts, notice: null };

  const recovered = recover();
  const resumed: string[] = [];
  for (const role of ROLES) {
    if (role in read.counts) continue;
    const value = recovered[role];
    if (value !== undefined && isDeathCount(value)) counts[role] = value;
    resumed.push(`${role} ${counts[role]}`);
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const backup = `${file}.corrupt-${stamp}`;
  let kept: string;
  try {
    fs.renameSync(file, backup);
    kept = `it is kept as ${backup}`;
  } catch (error) {
    kept = `it could not be kept aside (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  return {
    counts,
    notice:
      `deaths.json was damaged (${read.problems.join('; ')}); ${kept}; ` +
      `counts from the transcripts: ${resumed.join(', ')}`,
  };
}
