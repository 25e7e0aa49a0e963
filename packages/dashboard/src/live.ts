// Live workspace updates over Server-Sent Events, reconnecting with backoff when the stream drops.
import { type WorkspaceDto, workspaceEventSchema } from '@atelier/protocol';
import { useEffect, useRef, useState } from 'react';

export type StreamState = 'connecting' | 'open' | 'retrying';

export interface StreamHandlers {
  onWorkspace(workspace: WorkspaceDto): void;
  onDeleted?(id: string): void;
  /** an event the dashboard could not read: shown, never dropped silently */
  onProblem(message: string): void;
}

const MAX_BACKOFF_MS = 30_000;

/** Subscribes to an SSE url for as long as the component is mounted; the handlers may change freely. */
export function useWorkspaceStream(url: string, handlers: StreamHandlers): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const latest = useRef(handlers);
  latest.current = handlers;

  useEffect(() => {
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let backoff = 1000;
    let stopped = false;

    const connect = () => {
      setState((s) => (s === 'open' ? 'retrying' : s));
      const es = new EventSource(url);
      source = es;
      es.onopen = () => {
        backoff = 1000;
        setState('open');
      };
      es.addEventListener('workspace', (e) => {
        const parsed = workspaceEventSchema.safeParse(safeJson((e as MessageEvent<string>).data));
        if (parsed.success) latest.current.onWorkspace(parsed.data);
        else latest.current.onProblem(`a workspace update could not be read: ${parsed.error.message}`);
      });
      es.addEventListener('deleted', (e) => {
        const data = safeJson((e as MessageEvent<string>).data) as { id?: unknown } | undefined;
        if (typeof data?.id === 'string') latest.current.onDeleted?.(data.id);
        else latest.current.onProblem('a "deleted" event without a workspace id was received');
      });
      es.onerror = () => {
        setState('retrying');
        // CONNECTING: the browser retries by itself. CLOSED (an error status): we retry, slower each time.
        if (es.readyState !== EventSource.CLOSED || stopped) return;
        retry = setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      };
    };
    connect();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      source?.close();
    };
  }, [url]);

  return state;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // the schema check that follows reports it
  }
}

/** Calls fn every intervalMs while `active` (the fallback for a stream that is down). */
export function usePoll(active: boolean, intervalMs: number, fn: () => void): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => latest.current(), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
}
