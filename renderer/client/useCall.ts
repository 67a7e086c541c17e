import { useCallback, useState } from 'react';

import type { ApiError } from '../../shared/errors.js';
import type { Call } from './call.js';

export interface CallState {
  /** `call`, remembering whether it is under way and how it ended. */
  run: Call;
  pending: boolean;
  /** The host's refusal of the last call, until the next one (or `clear`). */
  error: ApiError | null;
  clear(): void;
}

/** A component's own call: it disables its controls while pending and shows the refusal next to them. */
export function useCall(call: Call): CallState {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run: Call = useCallback(
    async (method, params) => {
      setPending(true);
      const failure = await call(method, params);
      setPending(false);
      setError(failure);
      return failure;
    },
    [call],
  );
  const clear = useCallback(() => setError(null), []);
  return { run, pending, error, clear };
}
