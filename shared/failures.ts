/**
 * Failures that will happen again from the same configuration. They are not deaths: the mind is not told of them,
 * the instance is not brought back by itself, and its card says what to change. Anything else that ends a worker by
 * itself (a crash of unknown cause) is a death the first time; the same one again before the next life's first
 * reflection is taken to be one of these.
 */
export const REPEATABLE_FAILURES = {
  'context-too-small': {
    reason: "the context cannot hold the instance's prompts",
    fix: 'plan a larger context (Plan tab or --context), or choose a model with a longer context',
  },
  'unknown-architecture': {
    reason: "this llama.cpp cannot load the model's architecture",
    fix: 'choose a model of an architecture llama.cpp supports (llama, qwen2, gemma, phi3, ...)',
  },
  'bad-tensor': {
    reason: 'the model file has a missing or malformed tensor',
    fix: 'download the model again, or choose another file',
  },
  'file-gone': {
    reason: 'the model file is gone or unreadable',
    fix: 'put the file back, or choose another model',
  },
  'model-rejected': {
    reason: "llama.cpp refused the model file's contents",
    fix: 'choose another file, or convert the model again with a current llama.cpp',
  },
  'repeated-crash': {
    reason: 'the worker crashed the same way twice before its first reflection',
    fix: 'read the message, change the model or its settings, then press Start',
  },
} as const;

export type FailureKind = keyof typeof REPEATABLE_FAILURES;

export function isFailureKind(value: unknown): value is FailureKind {
  return typeof value === 'string' && Object.hasOwn(REPEATABLE_FAILURES, value);
}

/**
 * Which repeatable failure a worker's fatal error is, from its text: what llama.cpp and node-llama-cpp say (their
 * load errors are generic; the reason is in the log lines the worker puts in the message). Null for anything not
 * known to repeat. The host reads every worker's report this way, whatever the worker itself said.
 */
const RULES: Array<[FailureKind, RegExp]> = [
  [
    'context-too-small',
    /context \(\d+ tokens\) (is too small|cannot hold)|context size .* too small|exceeds the context/i,
  ],
  ['unknown-architecture', /unknown (model )?architecture/i],
  [
    'bad-tensor',
    /tensor .*(wrong|missing|shape|type|not found|data is not within)|missing tensor|wrong number of tensors/i,
  ],
  ['file-gone', /ENOENT|no such file|failed to open .*gguf|permission denied|EACCES/i],
  // llama.cpp's own report of a file it will not load, unless it is for want of memory (that may pass).
  ['model-rejected', /error loading model(?!.*(alloc|memory|mmap|mlock))/i],
];

export function failureKind(message: string): FailureKind | null {
  for (const [kind, rule] of RULES) if (rule.test(message)) return kind;
  return null;
}
