/** Every error the api can answer with. The renderer switches on these, never on message text. */
export const ERROR_CODES = [
  /** A payload failed its schema; `field` names the offending field. */
  'INVALID_PARAMS',
  'UNKNOWN_METHOD',
  /** The model file is missing, unreadable or not a loadable GGUF. */
  'MODEL_INVALID',
  /** RAM limits plus the system reserve exceed the board. */
  'BUDGET_EXCEEDED',
  /** A model cannot fit its RAM limit under any plan. */
  'MODEL_TOO_LARGE',
  /** An operator's manual (or seed) plan does not fit the budgets. */
  'PLAN_DOES_NOT_FIT',
  /** No context the model (or the operator's manual plan) allows holds an instance's prompts and a reflection. */
  'CONTEXT_TOO_SMALL',
  /** The request does not fit the instance's current state (e.g. kill a stopped instance). */
  'BAD_STATE',
  /** The client did not present the session token. */
  'UNAUTHORIZED',
  /** A message larger than the transport accepts. */
  'TOO_LARGE',
  /** A message that is not valid JSON or not shaped as a request. */
  'MALFORMED',
  /** What was asked for is not kept (e.g. the post-mortem of a death whose session was removed). */
  'NOT_FOUND',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiError {
  code: ErrorCode;
  message: string;
  /** For INVALID_PARAMS: the dotted path of the field. */
  field?: string;
}

/** Errors cross every boundary as data, never as thrown objects. */
export type ApiResult<T> = { ok: true; result: T } | { ok: false; error: ApiError };
