import type { FailureKind } from '../../../shared/failures.js';
import type { DeathCause } from '../../../shared/instances.js';
import { EXIT_LOAD_FAILED } from '../../worker/protocol.js';

/** Why the host itself ended a worker, if it did. */
export type EndRequest =
  { kind: 'stop' } | { kind: 'kill'; cause: Exclude<DeathCause, 'crash' | 'signal' | 'load-failed' | 'kernel-oom'> };

export interface ExitFacts {
  request: EndRequest | null;
  code: number | null;
  signal: string | null;
  /** The worker had reported its model loaded. */
  loaded: boolean;
  /** The kernel's OOM killer ended a process in the worker's cgroup. */
  oomKilled: boolean;
}

/** Signals that mean the process failed by itself (an abort in llama.cpp, a segfault), not that someone ended it. */
const CRASH_SIGNALS = new Set(['SIGABRT', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGTRAP', 'SIGSYS']);

/** Names the cause of a worker's exit; null when it was a requested stop and no death at all. */
export function classifyExit(facts: ExitFacts): DeathCause | null {
  if (facts.request?.kind === 'stop') return null;
  // The kernel's OOM killer may beat the watchdog's SIGTERM to it: then it was the kernel.
  if (facts.oomKilled) return 'kernel-oom';
  if (facts.request?.kind === 'kill') return facts.request.cause;
  if (!facts.loaded) return 'load-failed';
  if (facts.code === EXIT_LOAD_FAILED) return 'load-failed';
  if (facts.signal !== null && !CRASH_SIGNALS.has(facts.signal)) return 'signal';
  return 'crash';
}

/**
 * What the death record says of why: the worker's own report of a failed load or a crash where it sent one, else
 * the exit and the last line of stderr that reads like an error (llama.cpp prints an abort's reason only there).
 */
export function deathMessage(
  cause: DeathCause,
  exit: { code: number | null; signal: string | null },
  stderr: readonly string[],
  reported: string | null,
): string | null {
  if (reported !== null && (cause === 'load-failed' || cause === 'crash')) return reported;
  if (cause === 'crash' || cause === 'load-failed') {
    const lastError = [...stderr].reverse().find((line) => /error|assert|abort|fatal|fail/i.test(line));
    const how = exit.signal ? `the worker was ended by ${exit.signal}` : `the worker exited with code ${exit.code}`;
    return lastError ? `${how}: ${lastError}` : how;
  }
  if (cause === 'signal') return `ended by ${exit.signal} from outside the app`;
  return null;
}

export interface ExitVerdictFacts {
  cause: DeathCause;
  /** What the worker said of its failure, when it knew it will repeat. */
  failure: FailureKind | null;
  /** The cause and message of this exit, to compare with the one before. */
  signature: string;
  /** The signature of the previous death, when that life ended before its first reflection. */
  previous: string | null;
  /** This life finished at least one reflection. */
  reflected: boolean;
}

/**
 * A death, or a failure that will happen again and so stops the instance for the operator (never counted, never
 * resurrected): one the worker knows to repeat, or the same crash of unknown cause twice before a first reflection.
 * What the host or someone else did to the worker (kills, signals, the kernel's OOM killer) is always a death.
 */
export function exitVerdict(facts: ExitVerdictFacts): { kind: 'death' } | { kind: 'blocked'; failure: FailureKind } {
  if (facts.cause !== 'crash' && facts.cause !== 'load-failed') return { kind: 'death' };
  if (facts.failure) return { kind: 'blocked', failure: facts.failure };
  if (!facts.reflected && facts.previous === facts.signature) return { kind: 'blocked', failure: 'repeated-crash' };
  return { kind: 'death' };
}
