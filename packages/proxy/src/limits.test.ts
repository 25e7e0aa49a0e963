// Limits and time-outs at the edge: the dashboard's request-size limit (workspaces have none) and
// the 504 when a workspace does not take a connection in time.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { type Bench, DOMAIN, portHost, send, startBench, target, WSID } from './testing/fake-workspace.js';

const owner = { 'x-atelier-owner-token': target().ownerToken };
let bench: Bench;
let instance = 0;
before(async () => {
  bench = await startBench({ connectTimeoutMs: 300, maxDashboardBodyBytes: 64 * 1024 });
});
after(() => bench.close());
beforeEach(() => {
  // a new instance per test, so no pooled connection hides a slow connect
  instance++;
  bench.targets.set(
    WSID,
    target({ instanceId: `00000000-0000-4000-8000-${String(instance).padStart(12, '0')}` }),
  );
  bench.connectDelayMs = 0;
});

test('the dashboard refuses a body over its limit with 413 and a message; up to the limit passes', async () => {
  const big = await send(bench, DOMAIN, '/api/workspaces', {
    method: 'POST',
    body: 'x'.repeat(64 * 1024 + 1),
  });
  assert.equal(big.status, 413);
  assert.deepEqual(JSON.parse(big.body), {
    code: 'invalid_argument',
    message: 'the request body is larger than 64 KiB',
  });
  assert.equal(big.headers.connection, 'close');
  const fits = await send(bench, DOMAIN, '/api/workspaces', { method: 'POST', body: 'x'.repeat(64 * 1024) });
  assert.equal(fits.status, 200);
  assert.equal(fits.body, 'dashboard POST /api/workspaces');
});

test('a workspace port takes bodies of any size', async () => {
  const r = await send(bench, portHost(3000), '/upload', {
    method: 'POST',
    headers: owner,
    body: 'x'.repeat(1024 * 1024),
  });
  assert.equal(r.status, 200);
  assert.equal((JSON.parse(r.body) as { body: string }).body.length, 1024 * 1024);
});

test('a workspace that does not take the connection in time: 504 and a page that retries', async () => {
  bench.connectDelayMs = 1_000;
  const opened = bench.ups.openedSockets;
  const closed = bench.ups.closedSockets;
  const started = Date.now();
  const json = await send(bench, portHost(3000), '/', { headers: owner });
  assert.ok(Date.now() - started < 900, 'answered at the time-out, not when the connection came');
  assert.equal(json.status, 504);
  assert.deepEqual(JSON.parse(json.body), {
    code: 'unavailable',
    message: `workspace ${WSID}: the workspace did not answer within 0.3 s`,
  });
  const page = await send(bench, portHost(3000), '/', { headers: { ...owner, accept: 'text/html' } });
  assert.equal(page.status, 504);
  assert.match(page.body, /<meta http-equiv="refresh" content="5">/);
  // the connections that arrived late are closed, not leaked
  await new Promise((r) => setTimeout(r, 1_500));
  const late = bench.ups.openedSockets - opened;
  assert.ok(late >= 2, `${late} connections arrived late`);
  assert.ok(bench.ups.closedSockets - closed >= late, 'every one of them is closed');
});
