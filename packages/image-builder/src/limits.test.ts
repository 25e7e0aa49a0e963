import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedLock, Semaphore } from './limits.js';

const tick = () => new Promise((r) => setImmediate(r));

test('semaphore: at most N hold it; waiters go in arrival order; an aborted waiter leaves the queue', async () => {
  const slots = new Semaphore(2);
  const order: string[] = [];
  const a = await slots.acquire();
  const b = await slots.acquire();
  assert.equal(slots.full, true);
  const abort = new AbortController();
  const noted = (name: string) => (release: () => void) => {
    order.push(name);
    return release;
  };
  const c = slots.acquire().then(noted('c'));
  const gone = slots.acquire(abort.signal);
  const d = slots.acquire().then(noted('d'));
  abort.abort(new Error('start cancelled'));
  await assert.rejects(gone, /start cancelled/);
  await tick();
  assert.deepEqual(order, [], 'nobody gets a third slot');
  a();
  a(); // a second release of the same slot is ignored
  const releaseC = await c;
  await tick();
  assert.deepEqual(order, ['c']);
  b();
  const releaseD = await d;
  assert.deepEqual(order, ['c', 'd']);
  releaseC();
  releaseD();
  assert.equal(slots.full, false);
});

test('keyed lock: one holder per key, other keys in parallel; the lock is dropped when idle', async () => {
  const lock = new KeyedLock();
  const running = new Set<string>();
  let most = 0;
  const work = (key: string, label: string) =>
    lock.run(key, async () => {
      running.add(label);
      most = Math.max(most, [...running].filter((l) => l.startsWith(key)).length);
      await new Promise((r) => setTimeout(r, 20));
      running.delete(label);
      return label;
    });
  const started = Date.now();
  const results = await Promise.all([
    work('repo-a', 'repo-a-1'),
    work('repo-a', 'repo-a-2'),
    work('repo-b', 'repo-b-1'),
  ]);
  assert.deepEqual(results, ['repo-a-1', 'repo-a-2', 'repo-b-1']);
  assert.equal(most, 1, 'two builds of one repository never overlap');
  assert.ok(Date.now() - started < 200);
  assert.equal(lock.isHeld('repo-a'), false);
  await assert.rejects(
    lock.run('repo-a', async () => {
      throw new Error('build failed');
    }),
    /build failed/,
  );
  assert.equal(lock.isHeld('repo-a'), false, 'a failure releases the key');
});
