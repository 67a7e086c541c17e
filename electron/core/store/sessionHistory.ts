import fs from 'node:fs';
import path from 'node:path';

import {
  SESSION_ID,
  type HistoryEntry,
  type HistoryPage,
  type HistoryPart,
  type SessionList,
  type SessionSummary,
} from '../../../shared/history.js';
import { ROLES, type Role } from '../../../shared/instances.js';
import { ApiFailure } from '../api.js';

/**
 * Earlier sessions (and this one), read from sessions/<id>/ as the host wrote them in any version: every line is
 * taken as untrusted JSON, each field checked before it is shown. Reads are bounded by bytes, not by records, so a
 * session of weeks costs a page's worth per call.
 */

/**
 * One call reads at most this much of a file, whatever the filter keeps: the read is synchronous, on the loop the
 * watchdog samples on, and a megabyte takes a few milliseconds. A sparse filter (deaths) pages on with `next`.
 */
const SCAN_BYTES = 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;

export class SessionHistory {
  constructor(
    private readonly sessionsDir: string,
    private readonly currentId: string,
  ) {}

  list(offset = 0, limit = 20): SessionList {
    const ids = this.ids().reverse();
    return {
      total: ids.length,
      sessions: ids.slice(offset, offset + limit).map((id) => this.summary(id)),
    };
  }

  /** The folder of a session a request names, once it is known to be one of ours. */
  folderOf(session: string): string {
    if (!SESSION_ID.test(session) || !this.ids().includes(session)) {
      throw new ApiFailure(
        'INVALID_PARAMS',
        `there is no session ${JSON.stringify(session)} in the data folder`,
        'session',
      );
    }
    return path.join(this.sessionsDir, session);
  }

  rolesOf(session: string): Role[] {
    const folder = this.folderOf(session);
    return ROLES.filter((role) => fs.existsSync(path.join(folder, `${role}.jsonl`)));
  }

  read(session: string, part: HistoryPart, instance: Role | undefined, from = 0, limit = 100): HistoryPage {
    const folder = this.folderOf(session);
    if (part !== 'events' && instance === undefined) {
      throw new ApiFailure('INVALID_PARAMS', `which instance's ${part}? (instance)`, 'instance');
    }
    const file = path.join(folder, part === 'events' ? 'events.jsonl' : `${instance}.jsonl`);
    const keep = part === 'deaths' ? (record: Record<string, unknown>) => record.kind === 'death' : () => true;
    const entries: HistoryEntry[] = [];
    const { next, bytes } = scanLines(file, from, SCAN_BYTES, (line) => {
      const record = parseRecord(line);
      // A line that does not parse is said where every line is listed; it is nobody's death.
      if (record === null) {
        if (part !== 'deaths') entries.push({ at: null, instance: null, kind: 'unreadable', text: line.slice(0, 200) });
      } else if (keep(record)) entries.push(part === 'events' ? eventEntry(record) : transcriptEntry(record));
      return entries.length < limit;
    });
    return { session, part, entries, next, bytes };
  }

  private ids(): string[] {
    try {
      return fs
        .readdirSync(this.sessionsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && SESSION_ID.test(entry.name))
        .map((entry) => entry.name)
        .sort();
    } catch {
      return [];
    }
  }

  private summary(id: string): SessionSummary {
    const folder = path.join(this.sessionsDir, id);
    let bytes = 0;
    let lastWriteAt = 0;
    const roles: Role[] = [];
    for (const name of safeReaddir(folder)) {
      if (!name.endsWith('.jsonl')) continue;
      const stat = fs.statSync(path.join(folder, name), { throwIfNoEntry: false });
      if (!stat?.isFile()) continue;
      bytes += stat.size;
      lastWriteAt = Math.max(lastWriteAt, stat.mtimeMs);
      const role = name.slice(0, -'.jsonl'.length);
      if ((ROLES as readonly string[]).includes(role)) roles.push(role as Role);
    }
    roles.sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b));
    return {
      id,
      startedAt: startOf(id),
      lastWriteAt: Math.round(lastWriteAt),
      roles,
      bytes,
      current: id === this.currentId,
    };
  }
}

function safeReaddir(folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch {
    return [];
  }
}

/** newSessionId's time: 2026-12-01T23-20-00-123Z-<pid>. */
function startOf(id: string): number | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z/.exec(id);
  if (!match) return null;
  const at = Date.parse(`${match[1]}T${match[2]}:${match[3]}:${match[4]}.${match[5]}Z`);
  return Number.isFinite(at) ? at : null;
}

/**
 * Calls `each` with the complete lines of `file` from byte `from`, until it says stop, the file ends or `budget`
 * bytes are read. Returns where to go on from (null at the end) and the file's size. A line cut by the end of the
 * file (a write in progress, a torn tail) is not a record.
 */
export function scanLines(
  file: string,
  from: number,
  budget: number,
  each: (line: string) => boolean,
): { next: number | null; bytes: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { next: null, bytes: 0 };
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    let position = Math.min(from, size);
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    while (position - from < budget) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, position + carry.length);
      if (read === 0) return { next: null, bytes: size };
      const data = Buffer.concat([carry, buffer.subarray(0, read)]);
      let start = 0;
      for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
        const line = data.toString('utf8', start, newline);
        start = newline + 1;
        if (line !== '' && !each(line)) return { next: position + start, bytes: size };
      }
      position += start;
      carry = data.subarray(start);
      // A "line" longer than a chunk is nothing this host wrote: skipped whole rather than read without end.
      if (carry.length > CHUNK_BYTES) {
        position += carry.length;
        carry = Buffer.alloc(0);
      }
    }
    return { next: position, bytes: size };
  } finally {
    fs.closeSync(fd);
  }
}

export function parseRecord(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const roleOf = (value: unknown): Role | null =>
  (ROLES as readonly unknown[]).includes(value) ? (value as Role) : null;

export function transcriptEntry(record: Record<string, unknown>): HistoryEntry {
  const kind = text(record.kind) ?? 'record';
  const base = { at: count(record.at), instance: roleOf(record.instance), kind };
  return { ...base, text: describeRecord(record) };
}

/** A transcript record in words (older files lack fields the newer ones have: each is said only when present). */
export function describeRecord(record: Record<string, unknown>): string {
  const deaths = count(record.deaths);
  switch (record.kind) {
    case 'life': {
      const model = text(record.modelPath);
      return `a life began${model ? ` on ${path.basename(model)}` : ''}${deaths === null ? '' : `, told of ${deaths} deaths`}`;
    }
    case 'reflection':
      return `${text(record.text) ?? ''}${record.complete === false ? ' [cut off by its death]' : ''}`;
    case 'death': {
      const memory = count(record.memoryBytes);
      const facts = [
        text(record.cause) ?? 'unknown cause',
        text(record.signal) && `signal ${text(record.signal)}`,
        count(record.exitCode) !== null && `exit ${count(record.exitCode)}`,
        memory !== null && `${(memory / 2 ** 20).toFixed(1)} MB`,
      ].filter(Boolean);
      const message = text(record.message);
      return `died${deaths === null ? '' : ` (death ${deaths})`}: ${facts.join(', ')}${message ? `: ${message}` : ''}`;
    }
    default:
      return JSON.stringify(record).slice(0, 300);
  }
}

function eventEntry(record: Record<string, unknown>): HistoryEntry {
  const { type, at, instance, message, ...rest } = record;
  const said = text(message) ?? JSON.stringify(rest).slice(0, 300);
  return { at: count(at), instance: roleOf(instance), kind: text(type) ?? 'event', text: said };
}
