import fs from 'node:fs';
import path from 'node:path';

import type { HostEvent } from '../../../shared/events.js';
import { ROLES, type Role } from '../../../shared/instances.js';
import type { DeathRecord, TranscriptRecord } from '../../../shared/transcript.js';
import { Emitter, type Dispose } from '../emitter.js';
import { removeStaleTemporaries } from './atomicFile.js';
import { dataPaths, newSessionId, type DataPaths } from './dataDir.js';
import { JsonlFile, readJsonl, repairTornTail, tailLines } from './jsonlFile.js';
import { RetryingLineFile, type HeldCounts } from './retryingLineFile.js';
import { RotatingLineFile, type LineSink } from './rotatingLineFile.js';

/** logs/crash_reports.log's cap: about 20,000 deaths; the one before it is kept as crash_reports.log.1. */
export const CRASH_REPORTS_MAX_BYTES = 4 * 1024 * 1024;

/** Each death's post-mortem (the minute of samples before it), one line per death, beside the transcripts. */
export const POST_MORTEMS_FILE = 'postmortems.jsonl';

/** Where a transcript record landed: announced (transcript.written) only once it is whole in the file. */
export type OnTranscriptWritten = (file: string, line: number) => void;

/**
 * The files of one run of the host: a transcript per instance and an events log, append-only, plus the crash report
 * log shared by all runs. Every write is synchronous: a line is whole in its file when the method returns true.
 * A line the disk refuses (full, failing) is held in memory, in order, and written by `retryHeld` when the disk
 * takes it again (see RetryingLineFile); `onWriteFailure` hears each refusal.
 */
export class SessionStore {
  readonly paths: DataPaths;
  readonly sessionId: string;
  readonly sessionDir: string;
  private readonly transcripts = new Map<Role, RetryingLineFile>();
  private readonly events: RetryingLineFile;
  private readonly crashReports: RetryingLineFile;
  private postMortems: RetryingLineFile | null = null;
  private readonly failures = new Emitter<Error>();

  constructor(root: string, sessionId: string = newSessionId()) {
    this.paths = dataPaths(root);
    this.sessionId = sessionId;
    this.sessionDir = path.join(this.paths.sessions, sessionId);
    fs.mkdirSync(this.sessionDir, { recursive: true });
    fs.mkdirSync(this.paths.logs, { recursive: true });
    this.events = this.retrying(() => JsonlFile.open(path.join(this.sessionDir, 'events.jsonl'), { durable: false }));
    this.crashReports = this.retrying(() =>
      RotatingLineFile.open(this.paths.crashReports, { durable: false, maxBytes: CRASH_REPORTS_MAX_BYTES }),
    );
  }

  /** Hears every write the disk refused (the line is held, not lost). */
  onWriteFailure(listener: (error: Error) => void): Dispose {
    return this.failures.on(listener);
  }

  /**
   * What an unclean exit may have left, mended: torn last lines of earlier sessions' files, temporary files of
   * atomic writes by hosts that are gone. Returns what was done, one sentence each.
   */
  tidyAfterUncleanExit(): string[] {
    return [
      ...this.repairEarlierSessions().map((file) => `cut a torn last line from ${file}`),
      ...removeStaleTemporaries(this.paths.root).map((file) => `removed ${file}, left by a host that did not finish`),
    ];
  }

  /** Cuts torn last lines from the files of earlier sessions (a power loss mid-write). Returns the files repaired. */
  repairEarlierSessions(): string[] {
    const repaired: string[] = [];
    for (const file of this.jsonlFilesOfEarlierSessions()) {
      if (repairTornTail(file) > 0) repaired.push(file);
    }
    return repaired;
  }

  transcriptFile(role: Role): string {
    return path.join(this.sessionDir, `${role}.jsonl`);
  }

  /**
   * Appends a transcript record durably. True when it is on disk now; false when it is held for the disk to take
   * later. `onWritten` is told its line when it is on disk, now or later.
   */
  appendTranscript(record: TranscriptRecord, onWritten?: OnTranscriptWritten): boolean {
    const name = this.transcriptFile(record.instance);
    let file = this.transcripts.get(record.instance);
    if (!file) {
      file = this.retrying(() => JsonlFile.open(name, { durable: true }));
      this.transcripts.set(record.instance, file);
    }
    return file.append(JSON.stringify(record), onWritten && ((line) => onWritten(name, line)));
  }

  /** Appends a death's post-mortem durably (fsynced, as the death record beside it). */
  appendPostMortem(record: object): boolean {
    const name = path.join(this.sessionDir, POST_MORTEMS_FILE);
    this.postMortems ??= this.retrying(() => JsonlFile.open(name, { durable: true }));
    return this.postMortems.append(JSON.stringify(record));
  }

  appendEvent(event: HostEvent): boolean {
    return this.events.append(JSON.stringify(event));
  }

  /**
   * One line per death in logs/crash_reports.log, in the original's shape ("<time> - CRASH #<n>: <KIND>"), with the
   * instance and what we know appended as key=value pairs, so the operators' greps keep working.
   */
  appendCrashReport(record: DeathRecord, details: Record<string, string | number | null>): boolean {
    const facts: Record<string, string | number | null> = {
      pid: record.pid,
      signal: record.signal,
      exit: record.exitCode,
      memory: record.memoryBytes === null ? null : `${(record.memoryBytes / 2 ** 20).toFixed(1)}MB`,
      ...details,
      message: record.message,
    };
    const pairs = Object.entries(facts)
      .filter(([, value]) => value !== null)
      .map(
        ([key, value]) => `${key}=${typeof value === 'string' && /\s|"/.test(value) ? JSON.stringify(value) : value}`,
      );
    const kind = record.cause.toUpperCase().replace(/-/g, '_');
    const line = `${new Date(record.at).toISOString()} - CRASH #${record.deaths}: ${kind} ${record.instance} ${pairs.join(' ')}`;
    return this.crashReports.append(line);
  }

  /** Writes what the disk refused before, oldest first; true when nothing is held any more. */
  retryHeld(): boolean {
    let clear = true;
    for (const file of this.files()) clear = file.retry() && clear;
    return clear;
  }

  /** Lines held in memory for the disk, and lines lost, over every file of the session. */
  heldCounts(): HeldCounts {
    const total = { held: 0, lost: 0 };
    for (const file of this.files()) {
      const { held, lost } = file.counts();
      total.held += held;
      total.lost += lost;
    }
    return total;
  }

  /**
   * The highest death count each role's transcripts state (every record carries one), from the last 64 KB of each
   * sessions/<id>/<ROLE>.jsonl: what deaths.json said, to recover it when that file is damaged.
   */
  deathsInTranscripts(): Partial<Record<Role, number>> {
    const found: Partial<Record<Role, number>> = {};
    for (const file of this.jsonlFilesOfEarlierSessions()) {
      const role = path.basename(file, '.jsonl') as Role;
      if (!(ROLES as readonly string[]).includes(role)) continue;
      for (const line of tailLines(file, 64 * 1024)) {
        let deaths: unknown;
        try {
          deaths = (JSON.parse(line) as { deaths?: unknown }).deaths;
        } catch {
          continue;
        }
        if (Number.isSafeInteger(deaths) && (deaths as number) >= 0) {
          found[role] = Math.max(found[role] ?? 0, deaths as number);
        }
      }
    }
    return found;
  }

  /** The complete reflections of a role from the most recent earlier session, oldest first. */
  previousReflections(role: Role, limit: number): string[] {
    const sessions = this.earlierSessions().reverse();
    for (const session of sessions) {
      const file = path.join(this.paths.sessions, session, `${role}.jsonl`);
      if (!fs.existsSync(file)) continue;
      const { records } = readJsonl<TranscriptRecord>(file);
      const texts = records
        .filter((record) => record.kind === 'reflection' && record.text.trim() !== '')
        .map((record) => (record.kind === 'reflection' ? record.text : ''));
      if (texts.length > 0) return texts.slice(-limit);
    }
    return [];
  }

  close(): void {
    for (const file of this.files()) file.close();
    this.transcripts.clear();
    this.postMortems = null;
  }

  private files(): RetryingLineFile[] {
    return [
      ...this.transcripts.values(),
      this.events,
      this.crashReports,
      ...(this.postMortems ? [this.postMortems] : []),
    ];
  }

  private retrying(open: () => LineSink): RetryingLineFile {
    return new RetryingLineFile(open, (error) => this.failures.fire(error));
  }

  private earlierSessions(): string[] {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.paths.sessions);
    } catch {
      return [];
    }
    return entries.filter((name) => name !== this.sessionId).sort();
  }

  private jsonlFilesOfEarlierSessions(): string[] {
    return this.earlierSessions().flatMap((session) => {
      const directory = path.join(this.paths.sessions, session);
      try {
        return fs
          .readdirSync(directory)
          .filter((name) => name.endsWith('.jsonl'))
          .map((name) => path.join(directory, name));
      } catch {
        return [];
      }
    });
  }
}
