// Reconnect schedule (exponential backoff) and the loop that keeps a stream to the supervisor open.

export interface BackoffOptions {
  /** delay before the first retry */
  initialMs: number;
  /** the delay never grows past this */
  maxMs: number;
  factor: number;
}

/** 0.5 s, 1 s, 2 s, 4 s, 8 s, then every 10 s: a restarting supervisor is back within a few seconds. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, factor: 2 };

/** The delays between attempts; `reset()` after a connection that worked starts again from the shortest. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  next(): number {
    const { initialMs, maxMs, factor } = this.options;
    const delay = Math.min(maxMs, initialMs * factor ** this.attempt);
    if (delay < maxMs) this.attempt++;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

export interface KeepConnectedOptions {
  /** what the connection is, for log lines: "task list", "ports" */
  name: string;
  /**
   * Opens the connection and resolves when it ends (or rejects when it fails). It calls
   * `connected()` once the connection delivered something, which resets the backoff.
   */
  connect: (signal: AbortSignal, connected: () => void) => Promise<void>;
  /** aborting it ends the loop (and should end the open connection) */
  signal: AbortSignal;
  log: (message: string) => void;
  backoff?: Backoff;
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Connects, and reconnects with backoff whenever the connection ends or fails, until `signal` aborts. */
export async function keepConnected(options: KeepConnectedOptions): Promise<void> {
  const { name, connect, signal, log } = options;
  const backoff = options.backoff ?? new Backoff();
  const wait = options.wait ?? sleep;
  while (!signal.aborted) {
    let why: string;
    try {
      await connect(signal, () => backoff.reset());
      why = 'the stream ended';
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    if (signal.aborted) return;
    const delay = backoff.next();
    log(`${name}: ${why}; reconnecting in ${delay} ms`);
    await wait(delay, signal);
  }
}
