// Keep-alive into workspaces: complete exchanges reuse one connection per (instance, port), idle
// connections close, and upgrades never take a pooled connection.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import WebSocket from 'ws';
import {
  type Bench,
  type Echo,
  ideHost,
  portHost,
  send,
  startBench,
  target,
  WSID,
} from './testing/fake-workspace.js';
import { IDLE_MS } from './upstream-pool.js';

const owner = { 'x-atelier-owner-token': target().ownerToken };
let bench: Bench;
let instance = 0;
before(async () => {
  bench = await startBench();
});
after(() => bench.close());
beforeEach(() => {
  // a new instance per test: its pool starts empty
  instance++;
  bench.targets.set(
    WSID,
    target({ instanceId: `00000000-0000-4000-8000-${String(instance).padStart(12, '0')}` }),
  );
});

const until = async (what: string, ok: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('sequential requests, with and without bodies, share one connection to the port', async () => {
  const opened = bench.ups.openedSockets;
  for (let i = 0; i < 20; i++) {
    const r = await send(
      bench,
      portHost(3000),
      `/n/${i}`,
      i % 2 ? { method: 'POST', headers: owner, body: 'x'.repeat(i * 1000) } : { headers: owner },
    );
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as Echo).body.length, i % 2 ? i * 1000 : 0);
  }
  assert.equal(bench.ups.openedSockets - opened, 1, 'one upstream connection for 20 requests');
});

test('concurrent requests open more connections; the IDE host has a pool of its own', async () => {
  const opened = bench.ups.openedSockets;
  const all = await Promise.all(
    Array.from({ length: 6 }, () => send(bench, portHost(3000), '/', { headers: owner })),
  );
  assert.ok(all.every((r) => r.status === 200));
  const afterBurst = bench.ups.openedSockets - opened;
  assert.ok(afterBurst >= 2 && afterBurst <= 6, `${afterBurst} connections for 6 concurrent requests`);
  const ide = await send(bench, ideHost(), '/', { headers: owner });
  assert.equal((JSON.parse(ide.body) as Echo).server, 'supervisor');
  assert.equal(bench.ups.openedSockets - opened, afterBurst + 1);
});

test('an idle connection closes after the idle time-out', { timeout: IDLE_MS + 10_000 }, async () => {
  assert.equal((await send(bench, portHost(3000), '/', { headers: owner })).status, 200);
  const idleSince = Date.now();
  // this test's connection and those earlier tests left in their pools
  const ups = bench.ups;
  await until(
    'every pooled connection closed',
    () => ups.closedSockets === ups.openedSockets,
    IDLE_MS + 5_000,
  );
  assert.ok(Date.now() - idleSince >= IDLE_MS - 100, 'not before the time-out');
  const opened = bench.ups.openedSockets;
  assert.equal((await send(bench, portHost(3000), '/', { headers: owner })).status, 200);
  assert.equal(bench.ups.openedSockets - opened, 1, 'the next request connects again');
});

test('a WebSocket gets a connection of its own, never a pooled one', async () => {
  assert.equal((await send(bench, portHost(3000), '/', { headers: owner })).status, 200);
  const opened = bench.ups.openedSockets;
  const ws = new WebSocket(`ws://127.0.0.1:${bench.port}/socket`, {
    headers: { host: portHost(3000), ...owner },
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send('hi');
  assert.equal(await new Promise<string>((r) => ws.once('message', (d) => r(String(d)))), 'port: hi');
  assert.equal(bench.ups.openedSockets - opened, 1);
  ws.close();
  // and the pooled connection still serves plain requests
  assert.equal((await send(bench, portHost(3000), '/', { headers: owner })).status, 200);
  assert.equal(bench.ups.openedSockets - opened, 1);
});
