// When to tell the supervisor that the user is active: at most one heartbeat per interval, and only
// after activity (Gitpod: every 30 s while the user does something).

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Feed it every user action with `activity()`. The first action after a quiet interval sends a
 * heartbeat at once; actions within the interval after a heartbeat send one more when the
 * interval is over. No activity, no heartbeat: the workspace may then time out.
 */
export class Heartbeats {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pending = false;
  private timer: unknown;
  private disposed = false;

  constructor(
    private readonly intervalMs: number,
    /** sends one heartbeat; a failure is the sender's to log (the next activity tries again) */
    private readonly send: () => void,
    private readonly timers: Timers = realTimers,
  ) {}

  activity(): void {
    if (this.disposed) return;
    const now = this.timers.now();
    if (now - this.lastSentAt >= this.intervalMs) return void this.fire(now);
    this.pending = true;
    if (this.timer === undefined) {
      this.timer = this.timers.setTimeout(
        () => {
          this.timer = undefined;
          if (this.pending && !this.disposed) this.fire(this.timers.now());
        },
        this.lastSentAt + this.intervalMs - now,
      );
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(now: number): void {
    this.lastSentAt = now;
    this.pending = false;
    this.send();
  }
}
