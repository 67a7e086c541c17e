import type { DeathCause, Role } from './instances.js';

/**
 * What the panel shows of one death: its cause and the figures that explain it. The card, the chart markers, the
 * transcript's cut marks and the alert all read this; the death view adds the minute of samples before it.
 */
export interface DeathSummary {
  /** `<session>/<ROLE>/<death count>`: what `deaths.view` takes. */
  id: string;
  instance: Role;
  /** Epoch ms of the death. */
  at: number;
  /** The death count after this death. */
  deaths: number;
  cause: DeathCause;
  signal: string | null;
  exitCode: number | null;
  message: string | null;
  /** The worker's memory (RssAnon + RssFile) in the last sample that saw it. */
  memoryBytes: number | null;
  /** Its RAM limit then. */
  limitBytes: number | null;
  /** The board's used RAM (MemTotal - MemAvailable) and its total, in the last sample before the death. */
  ramUsedBytes: number | null;
  ramTotalBytes: number | null;
  /** The watchdog's lines then, percent of the board's RAM. */
  ramThreshold: number;
  warnThreshold: number;
  /** For a watchdog kill: from the sample that first saw the crossing to the SIGTERM. */
  reactionMs: number | null;
}

/** One sample of the minute before a death: the instance's memory and limit (null when it had no worker), the board. */
export interface DeathSample {
  t: number;
  ramUsedBytes: number;
  memoryBytes: number | null;
  limitBytes: number | null;
}

/** A death with the samples before it, at the watchdog's own interval (as fast as 0.1 s near a line). */
export interface DeathView extends DeathSummary {
  /** How far back the samples reach, ms. */
  windowMs: number;
  samples: DeathSample[];
}

/** The minute before a death, at most one sample per 100 ms: 600 samples, at most about 60 KB of JSON per death (57 KB measured for 600 samples of a 32 GB board). */
export const DEATH_WINDOW_MS = 60_000;
export const DEATH_SAMPLES_MAX = 600;

/** The cause as the operator reads it, with the signal where one ended the worker: "signal (SIGKILL)". */
export function causeText(death: Pick<DeathSummary, 'cause' | 'signal'>): string {
  return death.signal ? `${death.cause} (${death.signal})` : death.cause;
}
