import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describe('first-user setup', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('the setup code is XXXX-XXXX-XXXX and the same on every call until it is used', async () => {
    const code = await t.server.ensureSetupCode();
    assert.match(code ?? '', /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    assert.equal(await t.server.ensureSetupCode(), code);
    assert.deepEqual((await t.browser().call('GET', '/api/v1/setup')).body, { needsSetup: true, user: null });
  });

  test('a missing or malformed field is a 400 listing every problem', async () => {
    const res = await t.browser().call('POST', '/api/v1/setup', { name: '-bad', password: 'short' });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      code: 'invalid_argument',
      message: 'the request has 3 problem(s)',
      details: [
        'setupCode: Invalid input: expected string, received undefined',
        'name: a user name is 1–39 letters, digits, ".", "_" or "-"',
        'password: a password has at least 8 characters',
      ],
    });
  });

  test('a wrong code is refused with a 403 that says where the code is', async () => {
    const res = await t.browser().call('POST', '/api/v1/setup', {
      setupCode: 'AAAA-BBBB-CCCC',
      name: 'admin',
      password: 'admin-password',
    });
    assert.equal(res.status, 403);
    assert.match((res.body as { message: string }).message, /printed on the console of `atelier up`/);
    assert.equal(await t.repos.users.count(), 0);
  });

  test('the right code creates the admin, signs it in, and is used up', async () => {
    const code = (await t.server.ensureSetupCode()) as string;
    const browser = t.browser();
    const res = await browser.call('POST', '/api/v1/setup', {
      setupCode: code.toLowerCase(),
      name: 'Admin',
      password: 'admin-password',
    });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body as object).sort(), ['admin', 'createdAt', 'id', 'name']);
    assert.equal((res.body as { admin: boolean }).admin, true);
    assert.equal((res.body as { name: string }).name, 'admin');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const status = await browser.call<{ needsSetup: boolean; user: { name: string } }>(
      'GET',
      '/api/v1/setup',
    );
    assert.equal(status.body.needsSetup, false);
    assert.equal(status.body.user.name, 'admin');
    assert.equal(await t.server.ensureSetupCode(), undefined);
    assert.equal(await t.repos.settings.get('setup_code'), undefined);
  });

  test('a second setup is refused with 409, even with the old code', async () => {
    const res = await t.browser().call('POST', '/api/v1/setup', {
      setupCode: 'AAAA-BBBB-CCCC',
      name: 'second',
      password: 'second-password',
    });
    assert.equal(res.status, 409);
    assert.equal(await t.repos.users.count(), 1);
  });
});

describe('login, logout, me', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.userClient('alice');
  });
  after(() => t.close());

  test('login sets an HttpOnly, SameSite=Lax, host-only session cookie and /me answers', async () => {
    const browser = t.browser();
    const res = await browser.call('POST', '/api/v1/login', { name: 'alice', password: 'alice-password' });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(
      cookie,
      /^atelier_session=ses_[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    const me = await browser.call<{ name: string }>('GET', '/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.name, 'alice');
  });

  test('wrong password and unknown user get the same 401', async () => {
    for (const body of [
      { name: 'alice', password: 'wrong-password' },
      { name: 'nobody', password: 'alice-password' },
    ]) {
      const res = await t.browser().call('POST', '/api/v1/login', body);
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { code: 'unauthenticated', message: 'wrong user name or password' });
      assert.equal(res.headers.get('set-cookie'), null);
    }
  });

  test('logout deletes the session: the old cookie no longer signs in', async () => {
    const browser = t.browser();
    await browser.call('POST', '/api/v1/login', { name: 'alice', password: 'alice-password' });
    const saved = new Map(browser.cookies);
    const res = await browser.call('POST', '/api/v1/logout');
    assert.equal(res.status, 204);
    assert.match(res.headers.get('set-cookie') ?? '', /^atelier_session=; Max-Age=0; Path=\//);
    for (const [k, v] of saved) browser.cookies.set(k, v);
    const me = await browser.call('GET', '/api/v1/me');
    assert.equal(me.status, 401);
  });

  test('a blocked user cannot log in and its session stops working', async () => {
    const { user } = await t.userClient('mallory');
    const browser = t.browser();
    await browser.call('POST', '/api/v1/login', { name: 'mallory', password: 'mallory-password' });
    await t.repos.users.update(user.id, { blocked: true });
    assert.equal((await browser.call('GET', '/api/v1/me')).status, 401);
    const res = await t
      .browser()
      .call('POST', '/api/v1/login', { name: 'mallory', password: 'mallory-password' });
    assert.equal(res.status, 403);
  });

  test('over https the cookie is __Host- prefixed and Secure', async () => {
    const https = await startTestServer({ urls: { scheme: 'https', port: 443 } });
    try {
      await https.userClient('bob');
      const res = await https
        .browser()
        .call('POST', '/api/v1/login', { name: 'bob', password: 'bob-password' });
      assert.match(
        res.headers.get('set-cookie') ?? '',
        /^__Host-atelier_session=ses_[^;]+; Max-Age=604800; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
    } finally {
      await https.close();
    }
  });

  test('no log line holds a password, a token or a cookie', () => {
    const all = t.logs.join('\n');
    assert.ok(t.logs.some((l) => l.includes('"path":"/api/v1/login"')));
    for (const secret of ['alice-password', 'ses_', 'atl_', 'atelier_session='])
      assert.ok(!all.includes(secret), secret);
  });
});

describe('CSRF guard for browser requests', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.userClient('alice');
  });
  after(() => t.close());

  test('a state change from another origin, or without JSON, is refused with 403', async () => {
    const browser = t.browser();
    await browser.call('POST', '/api/v1/login', { name: 'alice', password: 'alice-password' });
    const foreign = await browser.call(
      'POST',
      '/api/v1/tokens',
      { name: 'x' },
      { origin: 'http://evil.example' },
    );
    assert.equal(foreign.status, 403);
    assert.match(
      (foreign.body as { message: string }).message,
      /origin http:\/\/evil.example is not http:\/\/localhost:8080/,
    );
    const form = await browser.call('POST', '/api/v1/tokens', 'name=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 403);
    assert.match((form.body as { message: string }).message, /Content-Type: application\/json/);
    const plain = await browser.call('POST', '/api/v1/logout', '{}', { 'content-type': 'text/plain' });
    assert.equal(plain.status, 403);
    assert.equal((await t.repos.tokens.listForUser((await t.repos.users.findByName('alice'))!.id)).length, 1);
    const ok = await browser.call('POST', '/api/v1/tokens', { name: 'x' });
    assert.equal(ok.status, 201);
  });

  test('requests with a bearer token are not subject to the origin check', async () => {
    const { client } = await t.userClient('carol');
    const res = await client.call(
      'POST',
      '/api/v1/tokens',
      { name: 'ci' },
      { origin: 'http://elsewhere.example' },
    );
    assert.equal(res.status, 201);
  });
});

describe('health', () => {
  test('200 when database and engine are fine, 503 naming the engine problem otherwise', async () => {
    const t = await startTestServer();
    try {
      const ok = await t.browser().call('GET', '/api/v1/health');
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { status: 'ok', checks: { database: 'ok', engine: 'ok' } });
      t.manager.engine = 'cannot reach the container engine at /run/podman/podman.sock';
      const bad = await t.browser().call('GET', '/api/v1/health');
      assert.equal(bad.status, 503);
      assert.deepEqual(bad.body, {
        status: 'degraded',
        checks: { database: 'ok', engine: 'cannot reach the container engine at /run/podman/podman.sock' },
      });
    } finally {
      await t.close();
    }
  });
});

describe('auth.localAccounts: false', () => {
  test('password sign-in is refused for users, kept for administrators', async () => {
    const t = await startTestServer({ config: { auth: { localAccounts: false } } });
    try {
      await t.userClient('carol');
      await t.userClient('root', { admin: true });
      const user = await t.browser().call<{ message: string }>('POST', '/api/v1/login', {
        name: 'carol',
        password: 'carol-password',
      });
      assert.equal(user.status, 403, user.text);
      assert.match(user.body.message, /auth\.localAccounts: false/);
      const admin = await t
        .browser()
        .call('POST', '/api/v1/login', { name: 'root', password: 'root-password' });
      assert.equal(admin.status, 200, admin.text);
    } finally {
      await t.close();
    }
  });
});
