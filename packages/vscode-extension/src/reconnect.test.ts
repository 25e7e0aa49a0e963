// Backoff schedule and the reconnect loop that keeps the supervisor's streams open.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, keepConnected } from './reconnect.js';

describe('Backoff', () => {
  it('doubles from 0.5 s up to 10 s and stays there', () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 8 }, () => backoff.next());
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });
  it('starts again from the shortest delay after reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3 });
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next(), backoff.next()], [100, 300, 900, 1000]);
    backoff.reset();
    assert.equal(backoff.next(), 100);
  });
});

describe('keepConnected', () => {
  it('reconnects after each end or failure, with growing delays reset by a connection that delivered', async () => {
    const stop = new AbortController();
    const waits: number[] = [];
    const logs: string[] = [];
    let attempt = 0;
    await keepConnected({
      name: 'ports',
      signal: stop.signal,
      log: (m) => logs.push(m),
      wait: async (ms) => {
        waits.push(ms);
      },
      connect: async (_signal, connected) => {
        attempt++;
        if (attempt === 1 || attempt === 2) throw new Error('cannot reach the supervisor');
        if (attempt === 3) return connected(); // delivered a line, then the stream ended
        if (attempt === 4) throw new Error('still down');
        stop.abort();
      },
    });
    assert.equal(attempt, 5);
    assert.deepEqual(waits, [500, 1000, 500, 1000]);
    assert.deepEqual(logs, [
      'ports: cannot reach the supervisor; reconnecting in 500 ms',
      'ports: cannot reach the supervisor; reconnecting in 1000 ms',
      'ports: the stream ended; reconnecting in 500 ms',
      'ports: still down; reconnecting in 1000 ms',
    ]);
  });

  it('stops waiting as soon as it is aborted', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const loop = keepConnected({
      name: 'tasks',
      signal: stop.signal,
      log: () => undefined,
      backoff: new Backoff({ initialMs: 60_000, maxMs: 60_000, factor: 1 }),
      connect: async () => {
        throw new Error('down');
      },
    });
    setTimeout(() => stop.abort(), 50);
    await loop;
    assert.ok(Date.now() - started < 5000, 'the loop ended with the abort, not after the 60 s delay');
  });
});
