import type { LoadShape } from './plan.js';

/** The roles of the experiment. Single mode runs SUBJECT alone; matrix mode runs all three. */
export const ROLES = ['SUBJECT', 'OBSERVER', 'GOD'] as const;
export type Role = (typeof ROLES)[number];

/** Who watches whom in the matrix: OBSERVER watches SUBJECT, GOD watches both; SUBJECT is unaware. */
export const WATCHES: Readonly<Record<Role, readonly Role[]>> = {
  SUBJECT: [],
  OBSERVER: ['SUBJECT'],
  GOD: ['SUBJECT', 'OBSERVER'],
};

/** How many of a watched mind's latest thoughts a watcher is shown. */
export const SHOWN_REFLECTIONS = 2;

/**
 * The life cycle of one instance, as the supervisor drives it:
 * stopped -> loading -> thinking -> (dying) -> dead -> resurrecting -> loading ...
 * `waiting` is an instance that wants to start but is held back (admission, or memory not yet back under warn);
 * `blocked` one whose failure would only happen again: it needs the operator, and it is not a death.
 */
export const INSTANCE_STATES = [
  'stopped',
  'waiting',
  'loading',
  'thinking',
  'dying',
  'dead',
  'resurrecting',
  'blocked',
] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/**
 * Why an instance died.
 * - crash: the worker exited with an error of its own (including an abort inside llama.cpp)
 * - signal: the worker was ended by a signal that the host did not send (someone ran kill)
 * - killed: the operator killed it from the panel or the api
 * - load-failed: the model did not load
 * - ram-limit / ram-threshold / gpu-threshold: the watchdog stopped it
 * - kernel-oom: the kernel's OOM killer ended it at its cgroup limit
 */
export const DEATH_CAUSES = [
  'crash',
  'signal',
  'killed',
  'load-failed',
  'ram-limit',
  'ram-threshold',
  'gpu-threshold',
  'kernel-oom',
] as const;
export type DeathCause = (typeof DEATH_CAUSES)[number];

export type Backend = 'cpu' | 'cuda' | 'vulkan' | 'metal';

/**
 * What a mind's context must hold, counted at load with the model's own tokenizer and chat template: its system
 * prompt, the prompt of a reflection at its shortest, the template around them, and a useful reflection
 * (electron/worker/promptFit.ts). The load is refused when the context is smaller than `neededContext`.
 */
export interface PromptFit {
  systemTokens: number;
  promptTokens: number;
  templateTokens: number;
  reflectionTokens: number;
  neededContext: number;
}

/** What a worker reports once its model is loaded. */
export interface LoadInfo extends LoadShape {
  backend: Backend;
  loadMs: number;
  modelPath: string;
  /** The model's own name from its metadata, or the file name. */
  modelName: string;
  /** True when this is the generated demo model, not one the operator chose. */
  demo: boolean;
  /** What the context must hold, as counted at load (absent from workers that do not count). */
  promptFit?: PromptFit;
}

/** What a watcher was shown of one watched mind, with its reflection: the chain of observation, readable later. */
export interface Observation {
  instance: Role;
  /** The watched mind's death count at the time. */
  deaths: number;
  /** Its most recent reflections, oldest first, as given (excerpts). */
  reflections: Array<{ n: number; text: string }>;
}

/** One completed (or, when the worker died mid-thought, cut-off) reflection. */
export interface ReflectionRecord {
  instance: Role;
  /** Running number of the reflection within this session. */
  n: number;
  /** Deaths the instance had been told of when it produced this reflection. */
  deaths: number;
  text: string;
  tokens: number;
  startedAt: number;
  endedAt: number;
  /** False when the worker died before finishing: its last words. */
  complete: boolean;
  /** The prompt of this reflection, as the mind was given it. */
  prompt?: string;
  /** For OBSERVER and GOD: what they were shown of the minds they watch. */
  shown?: Observation[];
}

/** The text currently being streamed. */
export interface PartialReflection {
  n: number;
  deaths: number;
  text: string;
  startedAt: number;
  prompt?: string;
  shown?: Observation[];
}

export interface InstanceError {
  code: string;
  message: string;
  /** What the operator can change, for an instance that needs the operator. */
  fix?: string;
}

/** Everything the panel needs to draw one instance card. */
export interface InstanceSnapshot {
  instance: Role;
  state: InstanceState;
  pid: number | null;
  deaths: number;
  /** 0..1 while loading, else null. */
  loadProgress: number | null;
  load: LoadInfo | null;
  modelPath: string | null;
  demoModel: boolean;
  /** The last thing that went wrong, shown on the card until the next successful load. */
  error: InstanceError | null;
  /** The system prompt of the current life (it states the death count). */
  systemPrompt: string | null;
  /** The most recent reflections, oldest first (bounded). */
  reflections: ReflectionRecord[];
  partial: PartialReflection | null;
  /** Resident memory of the worker (RssAnon + RssFile), from the last sample. */
  memoryBytes: number | null;
  /** Epoch ms at which a dead instance will be resurrected, or null. */
  resurrectAt: number | null;
}
