import type { JarClient, MethodName, MethodParams } from '../../shared/api.js';
import type { ApiError } from '../../shared/errors.js';

/** Runs an api call; resolves with its error (for an inline message), or null when it went through. */
export type Call = <M extends MethodName>(method: M, params: MethodParams<M>) => Promise<ApiError | null>;

/** The components show a refusal next to the control that caused it, so they want the error, not the whole result. */
export function callThrough(client: JarClient): Call {
  return async (method, params) => {
    const result = await client.call(method, params);
    return result.ok ? null : result.error;
  };
}
