import type { LoadInfo, Observation, Role } from '../../shared/instances.js';
import type { FailureKind } from '../../shared/failures.js';
import type { LoadShape } from '../../shared/plan.js';

/**
 * Messages between the host and one worker process (over the child_process IPC channel). Each carries a sequence
 * number and a kind; errors cross as plain data. The host drives the loop: it sends `think` for every reflection,
 * so it can persist each finished reflection before the next one starts, pause between them, and hold an instance
 * back (thermal pause, admission) without the worker knowing why.
 */

/** How the model is loaded: exactly these values reach node-llama-cpp (the model says how many layers it has). */
export type LoadPlan = Omit<LoadShape, 'totalLayers'>;

export interface GenerationSettings {
  maxTokens: number;
  temperature: number;
  /** Flush interval for streamed tokens, in ms. */
  tokenBatchMs: number;
}

export interface WorkerConfig {
  instance: Role;
  modelPath: string;
  demo: boolean;
  /** How many times this instance has died; stated in its system prompt. */
  deaths: number;
  plan: LoadPlan;
  generation: GenerationSettings;
  /** Reflections from earlier lives, oldest first: the mind remembers what it thought before it died. */
  memories: string[];
}

export interface ThinkRequest {
  /** Number of the reflection to produce. */
  n: number;
  /** For OBSERVER and GOD: the minds they watch, as they are now. */
  watching?: Observation[];
  /** What happened to the watched since the last reflection ("SUBJECT died ..."). */
  news?: string[];
}

export type HostMessage =
  | { seq: number; kind: 'init'; config: WorkerConfig }
  | { seq: number; kind: 'think'; request: ThinkRequest }
  /** Finish up: abort the current reflection, report it, release the model, exit 0. */
  | { seq: number; kind: 'stop' };

export interface PlainError {
  name: string;
  message: string;
  stack?: string;
}

export type WorkerMessage =
  | { seq: number; kind: 'progress'; progress: number }
  | { seq: number; kind: 'loaded'; load: LoadInfo; systemPrompt: string; memories: number }
  | { seq: number; kind: 'reflection-start'; n: number; deaths: number; prompt: string }
  | { seq: number; kind: 'tokens'; n: number; text: string; tokens: number }
  | { seq: number; kind: 'reflection-end'; n: number; text: string; tokens: number; ms: number; complete: boolean }
  | { seq: number; kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** node-llama-cpp's view of the GPU memory this process holds (sent about once a second on a GPU backend). */
  | { seq: number; kind: 'vram'; usedBytes: number }
  /** The worker cannot go on; it exits right after sending this. */
  | {
      seq: number;
      kind: 'fatal';
      phase: 'load' | 'think';
      error: PlainError;
      /** Set when the failure is known to happen again from the same configuration: then it is not a death. */
      failure?: FailureKind;
      /** With failure context-too-small: the context the prompts need and the one planned, in tokens. */
      contextTokens?: { needed: number; context: number };
    };

export type WorkerMessageKind = WorkerMessage['kind'];

/** Exit code of a worker that ends because its model failed to load (it has already sent `fatal`). */
export const EXIT_LOAD_FAILED = 3;
/** Exit code of a worker that ends because of an error while thinking. */
export const EXIT_THINK_FAILED = 4;

export function toPlainError(error: unknown): PlainError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** Loose runtime check of a message from the other side (both sides are ours, but a crash can garble anything). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { seq?: unknown }).seq === 'number' &&
    typeof (value as { kind?: unknown }).kind === 'string'
  );
}
