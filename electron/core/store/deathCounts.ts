import fs from 'node:fs';

import { ROLES, type Role } from '../../../shared/instances.js';
import { writeFileAtomic } from './atomicFile.js';

export type DeathCounts = Record<Role, number>;

/**
 * The death count of each role, kept across restarts of the app. Written atomically after every death, before the
 * resurrection is scheduled, so the next life is always told the right number.
 */
export class DeathCountStore {
  private counts: DeathCounts;

  constructor(private readonly file: string) {
    this.counts = readCounts(file);
  }

  get(role: Role): number {
    return this.counts[role];
  }

  /** Records one more death and returns the new count. */
  increment(role: Role): number {
    this.counts = { ...this.counts, [role]: this.counts[role] + 1 };
    writeFileAtomic(this.file, `${JSON.stringify(this.counts, null, 2)}\n`);
    return this.counts[role];
  }
}

function readCounts(file: string): DeathCounts {
  const counts = Object.fromEntries(ROLES.map((role) => [role, 0])) as DeathCounts;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // Missing on first start; an unreadable file (impossible with atomic writes, but a user may edit it) counts from 0.
    return counts;
  }
  if (typeof parsed === 'object' && parsed !== null) {
    for (const role of ROLES) {
      const value = (parsed as Record<string, unknown>)[role];
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) counts[role] = value;
    }
  }
  return counts;
}
