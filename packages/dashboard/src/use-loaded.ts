// Data a page loads from the API when it mounts, reloaded after the page changes it.
import { useCallback, useEffect, useState } from 'react';
import { type ApiError, toApiError } from './api';

export function useLoaded<T>(load: () => Promise<T>): {
  data: T | null;
  error: ApiError | null;
  reload: () => Promise<void>;
} {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const reload = useCallback(async () => {
    try {
      setData(await load());
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    }
  }, [load]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}
