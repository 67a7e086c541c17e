import type { Role } from './instances.js';

/**
 * The panel's view of earlier sessions (and this one): what sessions/<id>/ holds, read by the host from the JSONL
 * files, older formats included. Pages are bounded, because a data folder can hold weeks.
 */

/** One run of the host, as its folder shows it. */
export interface SessionSummary {
  id: string;
  /** Epoch ms the session started (from its id), or null for a folder whose name says no time. */
  startedAt: number | null;
  /** Epoch ms of its last write (the newest file's modification time). */
  lastWriteAt: number;
  /** The roles it has a transcript of, in role order. */
  roles: Role[];
  /** Bytes of its transcripts and events together. */
  bytes: number;
  /** The session this host is running now. */
  current: boolean;
}

export interface SessionList {
  /** Newest first. */
  sessions: SessionSummary[];
  /** How many sessions the data folder holds in all. */
  total: number;
}

/** What of a session to read: an instance's whole transcript, only its deaths, or the session's event log. */
export type HistoryPart = 'transcript' | 'deaths' | 'events';

/** One record of a file, as a person reads it; `kind` is the record's kind or event type, "unreadable" for a bad line. */
export interface HistoryEntry {
  at: number | null;
  instance: Role | null;
  kind: string;
  text: string;
}

export interface HistoryPage {
  session: string;
  part: HistoryPart;
  entries: HistoryEntry[];
  /** Byte offset to ask for next, or null at the end of the file. */
  next: number | null;
  /** The file's size: how far `next` is through it. */
  bytes: number;
}

/** The files a session exports as (GET /export/<session>/<name>, behind the token). */
export const EXPORT_FILES = [
  'transcript.txt',
  'transcript.jsonl',
  'deaths.csv',
  'events.jsonl',
  'metrics.csv',
] as const;
export type ExportFile = (typeof EXPORT_FILES)[number];

/** A session id as the host makes them (newSessionId): also the rule for what a request may name. */
export const SESSION_ID = /^[0-9A-Za-z][0-9A-Za-z_-]{0,99}$/;

/** The panel's token as the panel sees it: not the token itself, but how old it is and where it was served. */
export interface TokenInfo {
  madeAt: number;
  network: boolean;
}
