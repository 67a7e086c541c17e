import fs from 'node:fs';
import path from 'node:path';

import type { HostEvent } from '../../../shared/events.js';
import type { Role } from '../../../shared/instances.js';
import type { DeathRecord, TranscriptRecord } from '../../../shared/transcript.js';
import { dataPaths, newSessionId, type DataPaths } from './dataDir.js';
import { JsonlFile, readJsonl, repairTornTail } from './jsonlFile.js';

/**
 * The files of one run of the host: a transcript per instance and an events log, append-only, plus the crash report
 * log shared by all runs. Every write is synchronous and complete when the method returns.
 */
export class SessionStore {
  readonly paths: DataPaths;
  readonly sessionId: string;
  readonly sessionDir: string;
  private readonly transcripts = new Map<Role, JsonlFile>();
  private events: JsonlFile | null = null;

  constructor(root: string, sessionId: string = newSessionId()) {
    this.paths = dataPaths(root);
    this.sessionId = sessionId;
    this.sessionDir = path.join(this.paths.sessions, sessionId);
    fs.mkdirSync(this.sessionDir, { recursive: true });
    fs.mkdirSync(this.paths.logs, { recursive: true });
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

  /** Appends a transcript record durably; returns the line number. */
  appendTranscript(record: TranscriptRecord): { file: string; line: number } {
    let file = this.transcripts.get(record.instance);
    if (!file) {
      file = JsonlFile.open(this.transcriptFile(record.instance), { durable: true });
      this.transcripts.set(record.instance, file);
    }
    return { file: file.file, line: file.append(record) };
  }

  appendEvent(event: HostEvent): void {
    this.events ??= JsonlFile.open(path.join(this.sessionDir, 'events.jsonl'), { durable: false });
    this.events.append(event);
  }

  /**
   * One line per death in logs/crash_reports.log, in the original's shape ("<time> - CRASH #<n>: <KIND>"), with the
   * instance and what we know appended as key=value pairs, so the operators' greps keep working.
   */
  appendCrashReport(record: DeathRecord, details: Record<string, string | number | null>): void {
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
    fs.appendFileSync(this.paths.crashReports, `${line.replace(/\n/g, ' ')}\n`);
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
    for (const file of this.transcripts.values()) file.close();
    this.transcripts.clear();
    this.events?.close();
    this.events = null;
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
