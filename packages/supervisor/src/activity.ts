// The user's activity in this workspace, relayed to the server as heartbeats: from the IDE extension,
// the terminal page and gp, plus "the IDE's last browser tab went away" from its connections.
import type { ActivitySource } from '@atelier/protocol';
import type { Logger } from './log.js';

export interface Beat {
  source: ActivitySource;
  closed: boolean;
}

export interface ActivityOptions {
  /** delivers a heartbeat to the server; rejects when it could not */
  send(beat: Beat): Promise<void>;
  /** at most one heartbeat per this interval (the same source, no change of `closed`) */
  intervalMs: number;
  /** the last browser connection of the IDE may be gone this long before the IDE counts as closed (a reload) */
  closeGraceMs?: number;
  logger: Logger;
}

export class Activity {
  private lastSentAt = 0;
  private lastSent: Beat | undefined;
  private pending: Beat | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private browserConnections = 0;
  private closeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** when the user last did something, as this supervisor saw it */
  lastActivityAt: Date | undefined;

  constructor(private readonly opts: ActivityOptions) {}

  /** The user did something (source says where); `closed`: the IDE's last tab went away. */
  beat(source: ActivitySource, closed = false): void {
    if (this.stopped) return;
    // a window that goes says "closed", but another may still be open: the connections decide
    if (closed && this.browserConnections > 0) closed = false;
    this.lastActivityAt = new Date();
    const beat = { source, closed };
    const changed = !this.lastSent || this.lastSent.closed !== closed || this.lastSent.source !== source;
    const due = Date.now() - this.lastSentAt >= this.opts.intervalMs;
    if (changed || due) {
      this.flush(beat);
      return;
    }
    this.pending = beat;
    if (!this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          if (this.pending) this.flush(this.pending);
        },
        this.opts.intervalMs - (Date.now() - this.lastSentAt),
      );
      this.timer.unref();
    }
  }

  /**
   * A browser connection of the IDE (a VS Code window, the terminal page) opened; the returned
   * function says it closed. The first one is activity; when the last closes and none comes back
   * within the grace period, the IDE is closed.
   */
  browserConnected(source: ActivitySource): () => void {
    this.browserConnections++;
    if (this.closeTimer) {
      clearTimeout(this.closeTimer);
      this.closeTimer = undefined;
    }
    if (this.browserConnections === 1) this.beat(source);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.browserConnections--;
      if (this.browserConnections > 0 || this.stopped) return;
      this.closeTimer = setTimeout(() => {
        this.closeTimer = undefined;
        if (this.browserConnections === 0) this.beat(source, true);
      }, this.opts.closeGraceMs ?? 5_000);
      this.closeTimer.unref();
    };
  }

  /** Open browser connections of the IDE. */
  get connections(): number {
    return this.browserConnections;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.closeTimer);
  }

  private flush(beat: Beat): void {
    this.pending = undefined;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastSentAt = Date.now();
    this.lastSent = beat;
    // one at a time, in order, so a "closed" never overtakes the beat before it
    this.sending = this.sending.then(() =>
      this.opts.send(beat).catch((error: unknown) => {
        // the next beat tries again; the server counts the workspace idle meanwhile
        this.lastSentAt = 0;
        this.opts.logger.warn({ error: String(error), source: beat.source }, 'heartbeat not delivered');
      }),
    );
  }
}
