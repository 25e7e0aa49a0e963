// Sign-in with a generic OpenID Connect provider (oauth2-mock-server on loopback): the code flow
// with state, PKCE and a nonce makes a user (the first an administrator) or finds the one of the
// same subject; blockNewUsers goes by the verified e-mail domain; an ID token for another client,
// with another nonce or with changed claims, a replayed state and an undiscoverable issuer are
// refused with a message (never a 500); no token reaches a log line or an answer.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { MutableResponse } from 'oauth2-mock-server';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.js';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

const CALLBACK = 'http://localhost:8080/auth/callback';
const CLIENT = { clientId: 'atelier', clientSecret: 'atelier-oidc-secret-0123456789' };

describe('sign-in with an OIDC provider', () => {
  let idp: TestOidcProvider;
  let t: TestServer;
  let closedPort: number;
  /** every answer the server gave, to look for tokens in */
  const answers: string[] = [];

  before(async () => {
    idp = await startOidcProvider();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    t = await startTestServer({
      config: {
        authProviders: [
          {
            id: 'corp-sso',
            host: idp.host,
            type: 'OIDC',
            scheme: 'http',
            oauth: { ...CLIENT, issuer: idp.issuer },
          },
          {
            id: 'gone-sso',
            host: `127.0.0.1:${closedPort}`,
            type: 'OIDC',
            scheme: 'http',
            oauth: { ...CLIENT, issuer: `http://127.0.0.1:${closedPort}/realms/dev` },
          },
        ],
        blockNewUsers: { enabled: true, passlist: ['example.com'] },
      },
    });
  });
  after(async () => {
    await t?.close();
    await idp?.close();
  });

  async function call<T>(browser: TestClient, path: string) {
    const reply = await browser.call<T>('GET', path);
    answers.push(reply.text, [...reply.headers].join('\n'));
    return reply;
  }

  /** /auth/corp-sso/login → the provider (which signs in whoever idTokenClaims say) → back with code and state. */
  async function throughProvider(browser: TestClient, claims: Record<string, unknown>) {
    idp.idTokenClaims = claims;
    const start = await call(browser, '/auth/corp-sso/login?returnTo=%2Fstart%2Fabc');
    assert.equal(start.status, 302, start.text);
    const authorize = new URL(start.headers.get('location') ?? '');
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${idp.issuer}/authorize`);
    assert.equal(authorize.searchParams.get('scope'), 'openid profile email');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('nonce'), 'a nonce is sent');
    const answer = await fetch(authorize, { redirect: 'manual' });
    assert.equal(answer.status, 302, await answer.text());
    const back = new URL(answer.headers.get('location') ?? '');
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '' };
  }

  const callback = (browser: TestClient, code: string, state: string) =>
    call(browser, `/auth/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`);

  const ADA = {
    sub: 'ada-0001',
    preferred_username: 'ada',
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada',
  };

  test('the first sign-in makes an administrator from the ID token; the same subject later is the same user', async () => {
    const browser = t.browser();
    const first = await throughProvider(browser, ADA);
    const done = await callback(browser, first.code, first.state);
    assert.equal(done.status, 302, done.text);
    assert.equal(done.headers.get('location'), '/start/abc');
    const me = await call<{ name: string; admin: boolean }>(browser, '/api/v1/me');
    assert.deepEqual([me.body.name, me.body.admin], ['ada', true]);
    const user = await t.repos.users.findByName('ada');
    assert.ok(user);
    const [identity] = await t.repos.identities.listForUser(user.id);
    assert.deepEqual(
      [identity?.providerId, identity?.subject, identity?.email],
      ['corp-sso', 'ada-0001', 'ada@example.com'],
    );
    assert.equal(await t.repos.scmTokens.get('corp-sso', 'ada-0001'), undefined, 'no OIDC token is kept');
    assert.ok(idp.requests.includes('/jwks'), 'the ID token’s signature was checked against the JWKS');

    // renamed at the provider, the same sub: the same user, no second one
    const users = await t.repos.users.count();
    const again = t.browser();
    const second = await throughProvider(again, { ...ADA, preferred_username: 'ada.lovelace' });
    assert.equal((await callback(again, second.code, second.state)).status, 302);
    const meAgain = await call<{ id: string; name: string }>(again, '/api/v1/me');
    assert.deepEqual([meAgain.body.id, meAgain.body.name], [user.id, 'ada']);
    assert.equal(await t.repos.users.count(), users);
  });

  test('blockNewUsers: a verified address at a passlist domain signs up (not admin); others are refused', async () => {
    for (const [claims, why] of [
      [
        { sub: 'mallory-1', preferred_username: 'mallory', email: 'mallory@elsewhere.test' },
        'another domain',
      ],
      [
        { sub: 'eve-1', preferred_username: 'eve', email: 'eve@example.com', email_verified: false },
        'an unverified address',
      ],
    ] as const) {
      const browser = t.browser();
      const flow = await throughProvider(browser, claims);
      const refused = await callback(browser, flow.code, flow.state);
      assert.equal(refused.status, 403, why);
      assert.match(refused.text, /does not take new users except with an e-mail address at example.com/);
      assert.equal(await t.repos.users.findByName(claims.preferred_username), undefined, why);
    }
    const welcome = t.browser();
    const ok = await throughProvider(welcome, {
      sub: 'bob-1',
      preferred_username: 'bob',
      email: 'Bob@Example.com',
    });
    assert.equal((await callback(welcome, ok.code, ok.state)).status, 302);
    const me = await call<{ name: string; admin: boolean }>(welcome, '/api/v1/me');
    assert.deepEqual([me.body.name, me.body.admin], ['bob', false]);
  });

  test('an ID token for another client, with another nonce or with claims changed after signing is refused', async () => {
    const forge = (response: MutableResponse) => {
      if (response.body === '' || typeof response.body.id_token !== 'string') return;
      const [header, payload, signature] = response.body.id_token.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
      const changed = Buffer.from(JSON.stringify({ ...claims, sub: 'ada-0001' })).toString('base64url');
      response.body.id_token = `${header}.${changed}.${signature}`;
    };
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['aud', { aud: 'someone-else' }, /&#34;aud&#34; \(audience\) claim value/],
      ['nonce', { nonce: 'not-the-flow-nonce' }, /&#34;nonce&#34; claim value/],
      ['signature', {}, /signature/i],
    ];
    for (const [what, tamper, message] of cases) {
      if (what === 'signature') idp.service.on('beforeResponse', forge);
      const browser = t.browser();
      try {
        const flow = await throughProvider(browser, {
          sub: `mal-${what}`,
          email: 'mal@example.com',
          ...tamper,
        });
        const refused = await callback(browser, flow.code, flow.state);
        assert.equal(refused.status, 403, `${what}: ${refused.text}`);
        assert.match(refused.text, /Sign-in failed/);
        assert.match(refused.text, /corp-sso sent an answer or ID token that Atelier does not accept/);
        assert.match(refused.text, message, what);
      } finally {
        idp.service.off('beforeResponse', forge);
      }
      assert.equal((await call(browser, '/api/v1/me')).status, 401, `${what}: no session`);
      assert.equal(await t.repos.identities.find('corp-sso', `mal-${what}`), undefined, what);
    }
  });

  test('a replayed or forged state is refused', async () => {
    const browser = t.browser();
    const flow = await throughProvider(browser, ADA);
    assert.equal((await callback(browser, flow.code, flow.state)).status, 302);
    const replay = await callback(t.browser(), flow.code, flow.state);
    assert.equal(replay.status, 403);
    assert.match(replay.text, /used already, has expired or was not started here/);
    const forged = await callback(t.browser(), flow.code, 'forged-state-0123456789');
    assert.equal(forged.status, 403);
  });

  test('an issuer that cannot be discovered is named with what went wrong', async () => {
    const start = await call<{ code: string; message: string }>(t.browser(), '/auth/gone-sso/login');
    assert.equal(start.status, 503, start.text);
    assert.match(
      start.body.message,
      new RegExp(
        `cannot discover the OIDC provider gone-sso at http://127.0.0.1:${closedPort}/realms/dev/.well-known/openid-configuration: .*ECONNREFUSED`,
      ),
    );
  });

  test('the sign-in page lists the provider; no token or client secret reaches an answer or a log line', async () => {
    const list = await call<unknown[]>(t.browser(), '/api/v1/auth/providers');
    assert.deepEqual(list.body[0], {
      id: 'corp-sso',
      type: 'OIDC',
      host: idp.host,
      loginUrl: '/auth/corp-sso/login',
    });
    assert.ok(idp.issued.length >= 8, 'the provider issued tokens to look for');
    const logs = t.logs.join('\n');
    const seen = answers.join('\n');
    for (const token of [...idp.issued, CLIENT.clientSecret]) {
      assert.ok(!logs.includes(token), 'a token or the client secret is in the logs');
      assert.ok(!seen.includes(token), 'a token or the client secret is in an answer');
    }
    assert.match(logs, /signed in with a provider/);
    assert.match(logs, /sign-in with a provider refused/);
  });
});
