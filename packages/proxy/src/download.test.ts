// Issue 4's acceptance: a 1 GiB download through a port host completes, intact, without the proxy
// buffering it (the memory of this process — client, proxy and workspace — stays flat).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { type Bench, portHost, startBench, target } from './testing/fake-workspace.js';

const TOTAL = 1024 * 1024 * 1024;
let bench: Bench;
before(async () => {
  bench = await startBench();
});
after(() => bench.close());

test('a 1 GiB download streams through the proxy with flat memory', { timeout: 120_000 }, async (t) => {
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 100);
  const started = performance.now();
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port: bench.port,
        path: `/download?bytes=${TOTAL}`,
        headers: { host: portHost(3000), 'x-atelier-owner-token': target().ownerToken },
      },
      resolve,
    );
    req.once('error', reject);
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-length'], String(TOTAL));
  let received = 0;
  let bad = -1;
  // counted, never kept; every 4093rd byte checked against the pattern (byte i is i mod 65511 mod 251)
  for await (const chunk of res as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i += 4093)
      if (bad === -1 && chunk[i] !== ((received + i) % (251 * 261)) % 251) bad = received + i;
    received += chunk.length;
  }
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const grewMb = (rssPeak - rssBefore) / 1e6;
  t.diagnostic(
    `1 GiB in ${seconds.toFixed(1)} s (${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s), RSS +${grewMb.toFixed(0)} MB`,
  );
  assert.equal(received, TOTAL);
  assert.equal(bad, -1, `byte ${bad} is wrong`);
  // buffering would grow by the whole GiB; streaming stays at buffers and GC lag (67-76 MB seen)
  assert.ok(grewMb < 256, `the process grew by ${grewMb.toFixed(0)} MB while streaming`);
});
