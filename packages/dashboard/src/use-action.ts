// Runs one request at a time for a button or form: busy while it runs, its error kept for display.
import { useCallback, useState } from 'react';
import { type ApiError, toApiError } from './api';

export interface Action {
  busy: boolean;
  error: ApiError | null;
  /** runs fn; resolves to its result, or undefined when it failed (the error is then in `error`) */
  run<T>(fn: () => Promise<T>): Promise<T | undefined>;
  clear(): void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(toApiError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}
