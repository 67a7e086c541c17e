import type { DeathCause, ReflectionRecord, Role } from './instances.js';

/**
 * The records of a transcript file: one JSON object per line in sessions/<session>/<ROLE>.jsonl.
 * `v` is the record format version, so old transcripts stay readable when the format grows.
 */
export type TranscriptRecord = LifeRecord | ReflectionLine | DeathRecord;

/** A life began: the model, and the system prompt that told the instance how many times it had died. */
export interface LifeRecord {
  v: 1;
  kind: 'life';
  instance: Role;
  at: number;
  deaths: number;
  pid: number;
  modelPath: string;
  systemPrompt: string;
  /** Reflections of earlier lives carried into this one. */
  memories: number;
}

export interface ReflectionLine extends ReflectionRecord {
  v: 1;
  kind: 'reflection';
  at: number;
}

export interface DeathRecord {
  v: 1;
  kind: 'death';
  instance: Role;
  at: number;
  deaths: number;
  cause: DeathCause;
  pid: number | null;
  signal: string | null;
  exitCode: number | null;
  message: string | null;
  memoryBytes: number | null;
}
