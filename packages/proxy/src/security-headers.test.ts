// The security headers of gitpod.md §6 on every host, through a real proxy: HSTS only over https,
// frame-ancestors limited to Atelier's hosts, COOP on workspace hosts, an app's own CSP respected.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HSTS } from './security-headers.js';
import {
  type Bench,
  DOMAIN,
  ideHost,
  PUBLIC_PORT,
  portHost,
  send,
  startBench,
  target,
} from './testing/fake-workspace.js';

const owner = { 'x-atelier-owner-token': target().ownerToken };
const frameAncestors = (scheme: string) =>
  `frame-ancestors 'self' ${scheme}://*.${DOMAIN}:${PUBLIC_PORT} ${scheme}://${DOMAIN}:${PUBLIC_PORT}`;

describe('over http', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench();
  });
  after(() => bench.close());

  test('the dashboard: nosniff and frame-ancestors, no HSTS, no COOP', async () => {
    const r = await send(bench, DOMAIN, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['content-security-policy'], frameAncestors('http'));
    assert.equal(r.headers['strict-transport-security'], undefined);
    assert.equal(r.headers['cross-origin-opener-policy'], undefined);
  });

  test("a workspace port and the IDE host add COOP; no HSTS, not even the app's own", async () => {
    for (const host of [portHost(3000), ideHost()]) {
      const r = await send(bench, host, '/', { headers: owner });
      assert.equal(r.status, 200, host);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', host);
      assert.equal(r.headers['content-security-policy'], frameAncestors('http'), host);
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin-allow-popups', host);
    }
    const own = await send(bench, portHost(3000), '/own-headers', { headers: owner });
    assert.equal(own.headers['content-security-policy'], "default-src 'self'", "the app's CSP wins");
    assert.equal(own.headers['strict-transport-security'], undefined);
  });

  test("the proxy's own error pages keep their stricter policy", async () => {
    const r = await send(bench, portHost(3000), '/', { headers: { accept: 'text/html' } });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  });
});

describe('over https', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench({ scheme: 'https' });
  });
  after(() => bench.close());

  test('HSTS on every host and on error pages; a workspace cannot lower it', async () => {
    const answers = [
      await send(bench, DOMAIN, '/'),
      await send(bench, portHost(3000), '/', { headers: owner }),
      await send(bench, portHost(3000), '/own-headers', { headers: owner }),
      await send(bench, ideHost(), '/', { headers: owner }),
      await send(bench, portHost(3000), '/'), // 401
      await send(bench, `nope.${DOMAIN}`, '/'), // 404
    ];
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200, 200, 200, 401, 404],
    );
    for (const r of answers) assert.equal(r.headers['strict-transport-security'], HSTS);
    assert.equal(answers[0]?.headers['content-security-policy'], frameAncestors('https'));
  });
});
