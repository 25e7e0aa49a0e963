// Heartbeats: at most one per interval, only after user activity.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Heartbeats, type Timers } from './heartbeat.js';

/** A clock the test moves by hand; due timers run as it passes them. */
class ManualTimers implements Timers {
  time = 1_000_000;
  private timers: { at: number; fn: () => void; handle: number }[] = [];
  private nextHandle = 1;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const handle = this.nextHandle++;
    this.timers.push({ at: this.time + ms, fn, handle });
    return handle;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  };
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = until;
  }
  get pending(): number {
    return this.timers.length;
  }
}

function setup() {
  const timers = new ManualTimers();
  const sent: number[] = [];
  const heartbeats = new Heartbeats(30_000, () => sent.push(timers.time), timers);
  return { timers, sent, heartbeats, start: timers.time };
}

describe('Heartbeats', () => {
  it('the first activity sends at once', () => {
    const { heartbeats, sent, start } = setup();
    heartbeats.activity();
    assert.deepEqual(sent, [start]);
  });

  it('activity within the interval sends one more heartbeat when the interval is over', () => {
    const { heartbeats, sent, timers, start } = setup();
    heartbeats.activity();
    timers.advance(5_000);
    heartbeats.activity();
    timers.advance(5_000);
    heartbeats.activity();
    timers.advance(60_000);
    assert.deepEqual(sent, [start, start + 30_000]);
  });

  it('no activity, no heartbeat', () => {
    const { heartbeats, sent, timers, start } = setup();
    heartbeats.activity();
    timers.advance(10 * 60_000);
    assert.deepEqual(sent, [start]);
    assert.equal(timers.pending, 0);
  });

  it('activity after a quiet spell sends at once again', () => {
    const { heartbeats, sent, timers, start } = setup();
    heartbeats.activity();
    timers.advance(45_000);
    heartbeats.activity();
    assert.deepEqual(sent, [start, start + 45_000]);
  });

  it('nothing is sent after dispose', () => {
    const { heartbeats, sent, timers, start } = setup();
    heartbeats.activity();
    heartbeats.activity();
    heartbeats.dispose();
    timers.advance(60_000);
    heartbeats.activity();
    assert.deepEqual(sent, [start]);
  });
});
