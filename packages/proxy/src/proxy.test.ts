// Routing by host, owner checks, cookie minting and credential stripping, through a real proxy
// on loopback in front of a fake supervisor and a plain HTTP server as a workspace port.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ownerCookieName } from '@atelier/protocol';
import {
  type Bench,
  DOMAIN,
  type Echo,
  ideHost,
  PUBLIC_PORT,
  portHost,
  SUPERVISOR_TOKEN,
  send,
  startBench,
  target,
  WSID,
} from './testing/fake-workspace.js';

const TOKEN = target().ownerToken;
const COOKIE = ownerCookieName(DOMAIN, target().instanceId);
const owner = { 'x-atelier-owner-token': TOKEN };
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const DASHBOARD = `http://${DOMAIN}:${PUBLIC_PORT}`;
const IDE = `http://${ideHost()}:${PUBLIC_PORT}`;

let bench: Bench;
before(async () => {
  bench = await startBench();
});
after(() => bench.close());
beforeEach(() => {
  bench.targets.set(WSID, target());
  bench.ups.seen.length = 0;
});

const echoOf = (body: string) => JSON.parse(body) as Echo;

describe('routing by host', () => {
  test('the dashboard host goes to the dashboard', async () => {
    const r = await send(bench, DOMAIN, '/workspaces?x=1');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'dashboard GET /workspaces?x=1');
  });

  test('the IDE host goes to the supervisor with its token; a port host to that port', async () => {
    const ide = await send(bench, ideHost(), '/_supervisor/v1/status?q=1', { headers: owner });
    assert.equal(ide.status, 200);
    const seen = echoOf(ide.body);
    assert.equal(seen.server, 'supervisor');
    assert.equal(seen.path, '/_supervisor/v1/status?q=1');
    assert.equal(seen.headers['x-atelier-supervisor-token'], SUPERVISOR_TOKEN);
    const port = await send(bench, portHost(3000), '/api/items', { method: 'DELETE', headers: owner });
    assert.equal(port.status, 200);
    assert.deepEqual([echoOf(port.body).server, echoOf(port.body).method], ['port', 'DELETE']);
    assert.equal(echoOf(port.body).headers['x-atelier-supervisor-token'], undefined);
  });

  test('an unknown host gets a 404 naming the host names this server answers on', async () => {
    const r = await send(bench, 'evil.example', '/');
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).code, 'not_found');
    assert.match(JSON.parse(r.body).message, /atelier\.test, <workspace id>\.ws\.atelier\.test and <port>-/);
    const page = await send(bench, `nope.${DOMAIN}`, '/', { headers: html });
    assert.equal(page.status, 404);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /&lt;workspace id&gt;\.ws\.atelier\.test/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.ok(page.headers['referrer-policy']);
  });

  test('an unknown workspace: a page load goes to its start page, anything else gets 404', async () => {
    const other = 'coral-otter-zzzzzzzz9';
    for (const host of [ideHost(other), portHost(3000, other)]) {
      const nav = await send(bench, host, '/some/page', { headers: { ...owner, ...html } });
      assert.equal(nav.status, 302, host);
      assert.equal(nav.headers.location, `${DASHBOARD}/start/${other}`, host);
      const api = await send(bench, host, '/api', { headers: owner });
      assert.equal(api.status, 404, host);
      assert.deepEqual(JSON.parse(api.body), {
        code: 'not_found',
        message: `there is no workspace ${other}`,
      });
    }
    assert.equal(bench.ups.seen.length, 0);
  });

  test('a workspace that is not running: a page load goes to the start page, anything else gets 503', async () => {
    bench.targets.set(WSID, target({ phase: 'stopped' }));
    const nav = await send(bench, ideHost(), '/', { headers: { ...owner, ...html } });
    assert.equal(nav.status, 302);
    assert.equal(nav.headers.location, `${DASHBOARD}/start/${WSID}`);
    const api = await send(bench, portHost(3000), '/api', { headers: owner });
    assert.equal(api.status, 503);
    assert.deepEqual(JSON.parse(api.body), {
      code: 'unavailable',
      message: `workspace ${WSID} is stopped; start it from the dashboard`,
    });
    assert.equal(bench.ups.seen.length, 0);
  });
});

describe('owner check', () => {
  test('no credential → 401, a wrong one → 403, on IDE and port hosts', async () => {
    for (const host of [ideHost(), portHost(3000)]) {
      const none = await send(bench, host, '/x');
      assert.equal(none.status, 401, host);
      assert.equal(JSON.parse(none.body).code, 'unauthenticated');
      const wrongHeader = await send(bench, host, '/x', { headers: { 'x-atelier-owner-token': 'guess' } });
      assert.equal(wrongHeader.status, 403, host);
      assert.equal(JSON.parse(wrongHeader.body).code, 'permission_denied');
      const wrongCookie = await send(bench, host, '/x', { headers: { cookie: `${COOKIE}=guess` } });
      assert.equal(wrongCookie.status, 403, host);
    }
    assert.equal(bench.ups.seen.length, 0, 'nothing reached the workspace');
  });

  test('the owner cookie or either owner header lets the request through', async () => {
    const ways: Record<string, string>[] = [
      { cookie: `theme=dark; ${COOKIE}=${TOKEN}` },
      { 'x-atelier-owner-token': TOKEN },
      { 'x-gitpod-owner-token': TOKEN },
    ];
    for (const headers of ways) {
      assert.equal((await send(bench, portHost(3000), '/', { headers })).status, 200);
      assert.equal((await send(bench, ideHost(), '/', { headers })).status, 200);
    }
  });

  test("another instance's cookie is no credential", async () => {
    const old = ownerCookieName(DOMAIN, '99999999-2222-4333-8444-555555555555');
    assert.equal(
      (await send(bench, portHost(3000), '/', { headers: { cookie: `${old}=${TOKEN}` } })).status,
      401,
    );
  });

  test('a page load of the IDE host without credential goes to the start page; a port host answers 401', async () => {
    const ide = await send(bench, ideHost(), '/', { headers: html });
    assert.equal(ide.status, 302);
    assert.equal(ide.headers.location, `${DASHBOARD}/start/${WSID}`);
    const port = await send(bench, portHost(3000), '/', { headers: html });
    assert.equal(port.status, 401);
    assert.match(String(port.headers['content-type']), /text\/html/);
    assert.match(port.body, /is private/);
  });

  test('public ports need no credential, the IDE host does; a shared workspace needs none anywhere', async () => {
    bench.targets.set(WSID, target({ isPublicPort: (port) => port === 3000 }));
    assert.equal((await send(bench, portHost(3000), '/')).status, 200);
    assert.equal((await send(bench, portHost(3001), '/')).status, 401, 'only the public port');
    bench.targets.set(WSID, target({ isPublicPort: (port) => port === 3001 }));
    assert.equal(
      (await send(bench, portHost(3000), '/')).status,
      401,
      'made private: the next request is refused',
    );
    assert.equal((await send(bench, ideHost(), '/')).status, 401);
    bench.targets.set(WSID, target({ shared: true }));
    assert.equal((await send(bench, portHost(3000), '/')).status, 200);
    assert.equal((await send(bench, ideHost(), '/')).status, 200);
    bench.targets.set(WSID, target({ shared: false }));
    assert.equal((await send(bench, ideHost(), '/')).status, 401, 'unshared: the next request is refused');
  });
});

describe('POST /_atelier/auth', () => {
  const mint = (body: string, headers: Record<string, string> = {}) =>
    send(bench, ideHost(), '/_atelier/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });

  test('the right token sets the owner cookie for all workspace hosts and returns with 303', async () => {
    const r = await mint(`token=${encodeURIComponent(TOKEN)}&return=%2Fterminal%3Fa%3D1`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, `${IDE}/terminal?a=1`);
    assert.deepEqual(r.headers['set-cookie'], [
      `${COOKIE}=${TOKEN}; Domain=ws.${DOMAIN}; Path=/; HttpOnly; SameSite=Lax`,
    ]);
    assert.equal(r.headers['cache-control'], 'no-store');
    const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0] as string;
    assert.equal((await send(bench, portHost(3000), '/', { headers: { cookie } })).status, 200);
  });

  test('it returns only to hosts of the same workspace', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, `${IDE}/`],
      [`http://${portHost(5173)}:${PUBLIC_PORT}/app`, `http://${portHost(5173)}:${PUBLIC_PORT}/app`],
      [`http://${portHost(5173, 'coral-otter-zzzzzzzz9')}:${PUBLIC_PORT}/`, `${IDE}/`],
      [`${DASHBOARD}/workspaces`, `${IDE}/`],
      ['https://evil.example/', `${IDE}/`],
      ['//evil.example/x', `${IDE}/`],
      ['javascript:alert(1)', `${IDE}/`],
    ];
    for (const [ret, expected] of cases) {
      const body = `token=${encodeURIComponent(TOKEN)}${ret === undefined ? '' : `&return=${encodeURIComponent(ret)}`}`;
      const r = await mint(body);
      assert.equal(r.status, 303, String(ret));
      assert.equal(r.headers.location, expected, String(ret));
    }
  });

  test('a wrong token gets 403 and no cookie; other shapes are refused', async () => {
    const wrong = await mint('token=guess&return=%2F', html);
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.match(wrong.body, /does not match/);
    assert.equal((await mint(`token=${TOKEN}&pad=${'x'.repeat(9000)}`)).status, 413);
    assert.equal((await mint(`{"token":"${TOKEN}"}`, { 'content-type': 'application/json' })).status, 415);
    assert.equal((await send(bench, ideHost(), '/_atelier/auth')).status, 405);
    assert.equal(bench.ups.seen.length, 0);
  });
});

describe('what reaches the workspace', () => {
  test('owner cookies, the session cookie and owner or supervisor headers are stripped; other cookies pass', async () => {
    const r = await send(bench, portHost(3000), '/', {
      headers: {
        cookie: `app=1; ${COOKIE}=${TOKEN}; atelier_session=sess; _atelier_test_ws_other_owner_=x; theme=dark`,
        'x-atelier-owner-token': TOKEN,
        'x-gitpod-owner-token': TOKEN,
        'x-atelier-supervisor-token': 'spoofed',
        connection: 'x-hop',
        'x-hop': 'secret',
        'x-forwarded-host': 'spoofed.example',
        'x-kept': 'yes',
      },
    });
    assert.equal(r.status, 200);
    const { headers } = echoOf(r.body);
    assert.equal(headers.cookie, 'app=1; theme=dark');
    for (const h of ['x-atelier-owner-token', 'x-gitpod-owner-token', 'x-atelier-supervisor-token', 'x-hop'])
      assert.equal(headers[h], undefined, h);
    assert.equal(headers['x-kept'], 'yes');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-host'], `${portHost(3000)}:${bench.port}`);
    assert.equal(headers['x-forwarded-port'], String(PUBLIC_PORT));
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    // the workspace may set its own cookies, never Atelier's
    assert.deepEqual(r.headers['set-cookie'], ['app=1; Path=/']);
  });

  test('with only Atelier cookies the Cookie header is dropped', async () => {
    const r = await send(bench, ideHost(), '/', {
      headers: { cookie: `${COOKIE}=${TOKEN}; __Host-atelier_session=s` },
    });
    assert.equal(r.status, 200);
    assert.equal(echoOf(r.body).headers.cookie, undefined);
    assert.equal(echoOf(r.body).headers['x-atelier-supervisor-token'], SUPERVISOR_TOKEN);
  });

  test('the log has a line per request with workspace and instance, and no token or cookie', async () => {
    await send(bench, portHost(3000), '/logged', { headers: { cookie: `${COOKIE}=${TOKEN}; app=zzcookie` } });
    const lines = bench.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      lines.some(
        (l) =>
          l.path === '/logged' &&
          l.workspaceId === WSID &&
          l.instanceId === target().instanceId &&
          l.status === 200,
      ),
    );
    const all = bench.logs.join('\n');
    assert.ok(!all.includes(TOKEN), 'no owner token in the log');
    assert.ok(!all.includes('zzcookie'), 'no cookie in the log');
    assert.ok(!all.includes(SUPERVISOR_TOKEN), 'no supervisor token in the log');
  });
});
