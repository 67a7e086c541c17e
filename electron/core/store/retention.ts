import fs from 'node:fs';
import path from 'node:path';

import type { Settings } from '../../../shared/settings.js';
import { processAlive } from '../processAlive.js';

/** One session folder (sessions/<id>/: its transcripts and events log) as retention sees it. */
export interface SessionUsage {
  id: string;
  bytes: number;
  /** The last write to any of its files, epoch ms: when the session ended, for one that has. */
  lastWriteMs: number;
}

/** The retention settings, in the units the rule works in. */
export interface RetentionRule {
  /** What every session together may hold. */
  maxBytes: number;
  /** How long after its last write a session is kept. */
  maxAgeMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The rule the retention settings state. */
export function retentionRule(settings: Pick<Settings, 'retentionGb' | 'retentionDays'>): RetentionRule {
  return { maxBytes: settings.retentionGb * 2 ** 30, maxAgeMs: settings.retentionDays * DAY_MS };
}

/**
 * The sessions to remove, oldest first: every session whose last write is older than the age cap, then the oldest
 * of the rest until all sessions together fit the size cap. A kept session (the current one, being written) is
 * never removed, even when it alone is over the cap.
 */
export function sessionsToRemove(
  sessions: readonly SessionUsage[],
  rule: RetentionRule,
  kept: ReadonlySet<string>,
  now: number,
): string[] {
  const oldestFirst = [...sessions].sort((a, b) => a.lastWriteMs - b.lastWriteMs || a.id.localeCompare(b.id));
  const removed = new Set<string>();
  let total = sessions.reduce((sum, session) => sum + session.bytes, 0);
  const remove = (session: SessionUsage) => {
    removed.add(session.id);
    total -= session.bytes;
  };
  for (const session of oldestFirst) {
    if (!kept.has(session.id) && now - session.lastWriteMs > rule.maxAgeMs) remove(session);
  }
  for (const session of oldestFirst) {
    if (total <= rule.maxBytes) break;
    if (!kept.has(session.id) && !removed.has(session.id)) remove(session);
  }
  return oldestFirst.filter((session) => removed.has(session.id)).map((session) => session.id);
}

/** Every session folder under `sessionsDir`, measured. */
export function measureSessions(sessionsDir: string): SessionUsage[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(sessionsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const directory = path.join(sessionsDir, entry.name);
      let lastWriteMs = statOrNull(directory)?.mtimeMs ?? 0;
      let bytes = 0;
      for (const name of readdirOrEmpty(directory)) {
        const stat = statOrNull(path.join(directory, name));
        if (!stat) continue;
        bytes += stat.size;
        lastWriteMs = Math.max(lastWriteMs, stat.mtimeMs);
      }
      return { id: entry.name, bytes, lastWriteMs };
    });
}

export interface RetentionPass {
  removed: string[];
  freedBytes: number;
  /** Sessions that were to go but could not be removed, with why. */
  failed: string[];
  /** What the sessions hold after the pass. */
  keptBytes: number;
}

/**
 * Measures the sessions and removes what the rule says must go; never the current session, nor one whose host (the
 * pid its id ends with) is alive: another host writing into the same folder.
 */
export function applyRetention(
  sessionsDir: string,
  rule: RetentionRule,
  current: string,
  now: number,
  isAlive: (pid: number) => boolean = processAlive,
): RetentionPass {
  const sessions = measureSessions(sessionsDir);
  const pass: RetentionPass = { removed: [], freedBytes: 0, failed: [], keptBytes: 0 };
  const kept = new Set([current, ...sessions.map((session) => session.id).filter((id) => hostAlive(id, isAlive))]);
  const doomed = new Set(sessionsToRemove(sessions, rule, kept, now));
  for (const session of sessions) {
    if (!doomed.has(session.id)) {
      pass.keptBytes += session.bytes;
      continue;
    }
    try {
      fs.rmSync(path.join(sessionsDir, session.id), { recursive: true, force: true });
      pass.removed.push(session.id);
      pass.freedBytes += session.bytes;
    } catch (error) {
      pass.failed.push(`${session.id} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      pass.keptBytes += session.bytes;
    }
  }
  return pass;
}

function hostAlive(sessionId: string, isAlive: (pid: number) => boolean): boolean {
  const pid = Number(/-(\d+)$/.exec(sessionId)?.[1] ?? Number.NaN);
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid);
}

/** The bytes a folder holds, every file below it counted once (links not followed); 0 when it does not exist. */
export function folderBytes(directory: string): number {
  let total = 0;
  for (const entry of readdirOrEmpty(directory, true)) {
    const stat = statOrNull(path.join(directory, entry));
    if (stat?.isFile()) total += stat.size;
  }
  return total;
}

function readdirOrEmpty(directory: string, recursive = false): string[] {
  try {
    return fs.readdirSync(directory, { recursive }).map(String);
  } catch {
    return [];
  }
}

function statOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch {
    return null;
  }
}
