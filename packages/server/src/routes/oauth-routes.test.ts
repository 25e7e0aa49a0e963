// Sign-in with GitHub against fake-github (its documented OAuth endpoints, on loopback): the code
// flow with state and PKCE makes a session and links the account; a replayed or forged state, an
// open-redirect returnTo, a blocked new user are refused; no token reaches a log line or the API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

const CALLBACK = 'http://localhost:8080/auth/callback';
const APP = {
  clientId: 'atelier-client',
  clientSecret: 'atelier-secret-0123456789',
  redirectUris: [CALLBACK],
};

describe('sign-in with fake-github', () => {
  let gh: FakeScm;
  let t: TestServer;

  before(async () => {
    gh = await startFakeGitHub({
      users: [
        { login: 'alice', id: 101, name: 'Alice', email: 'alice@example.com' },
        { login: 'mallory', id: 666, name: 'Mallory', email: 'mallory@elsewhere.test' },
        { login: 'bob', id: 102, name: 'Bob', email: 'bob@example.com' },
      ],
      apps: [APP],
      repos: [
        {
          owner: 'alice',
          name: 'secret',
          private: true,
          branches: { main: { 'README.md': 'private\n', '.gitpod.yml': 'tasks:\n  - command: echo hi\n' } },
        },
      ],
    });
    t = await startTestServer({
      config: {
        authProviders: [
          {
            id: 'fake-github',
            host: gh.host,
            type: 'GitHub',
            scheme: 'http',
            oauth: { clientId: APP.clientId, clientSecret: APP.clientSecret },
          },
        ],
        blockNewUsers: { enabled: true, passlist: ['example.com'] },
      },
    });
  });
  after(async () => {
    await t?.close();
    await gh?.close();
  });

  /** /auth/fake-github/login → the provider's page, where `login` authorizes → back with code and state. */
  async function throughProvider(browser: TestClient, login: string, returnTo = '/start/abc', query = '') {
    const start = await browser.call(
      'GET',
      `/auth/fake-github/login?returnTo=${encodeURIComponent(returnTo)}${query}`,
    );
    assert.equal(start.status, 302, start.text);
    const authorize = start.headers.get('location') ?? '';
    assert.ok(authorize.startsWith(`${gh.url}/login/oauth/authorize?`), authorize);
    const params = new URL(authorize).searchParams;
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.equal(params.get('redirect_uri'), CALLBACK);
    const consent = await fetch(authorize, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login }).toString(),
      redirect: 'manual',
    });
    assert.equal(consent.status, 302, await consent.text());
    const back = new URL(consent.headers.get('location') ?? '');
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '' };
  }

  const callback = (browser: TestClient, code: string, state: string) =>
    browser.call('GET', `/auth/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`);

  test('the first sign-in makes an administrator, links the account, opens a session and goes back', async () => {
    const browser = t.browser();
    const { code, state } = await throughProvider(browser, 'alice');
    const done = await callback(browser, code, state);
    assert.equal(done.status, 302, done.text);
    assert.equal(done.headers.get('location'), '/start/abc');
    const me = await browser.call<{ name: string; admin: boolean }>('GET', '/api/v1/me');
    assert.equal(me.status, 200, me.text);
    assert.deepEqual([me.body.name, me.body.admin], ['alice', true]);
    const user = await t.repos.users.findByName('alice');
    assert.ok(user);
    const [identity] = await t.repos.identities.listForUser(user.id);
    assert.deepEqual(
      [identity?.providerId, identity?.subject, identity?.email],
      ['fake-github', '101', 'alice@example.com'],
    );
    const stored = await t.repos.scmTokens.get('fake-github', '101');
    assert.ok(stored && !stored.tokenSealed.includes('gho_'), 'the token is stored sealed');
    assert.ok(
      gh.log.some((e) => e.kind === 'token' && e.login === 'alice' && !e.error),
      'PKCE and secret accepted',
    );
  });

  test('a replayed callback, a forged state and a missing code are refused', async () => {
    const browser = t.browser();
    const { code, state } = await throughProvider(browser, 'alice');
    assert.equal((await callback(browser, code, state)).status, 302);
    const replay = await callback(t.browser(), code, state);
    assert.equal(replay.status, 403);
    assert.match(replay.text, /used already, has expired or was not started here/);
    const forged = await callback(t.browser(), code, 'forged-state-0123456789');
    assert.equal(forged.status, 403);
    const missing = await t.browser().call('GET', `/auth/callback?state=${state}`);
    assert.equal(missing.status, 400);
    const denied = await t.browser().call('GET', '/auth/callback?error=access_denied&state=x');
    assert.equal(denied.status, 403);
    assert.match(denied.text, /did not sign you in \(access_denied\)/);
  });

  test('returnTo cannot send the browser to another site', async () => {
    for (const evil of ['https://evil.example/steal', '//evil.example', '/\\evil.example']) {
      const browser = t.browser();
      const { code, state } = await throughProvider(browser, 'alice', evil);
      const done = await callback(browser, code, state);
      assert.equal(done.headers.get('location'), '/', `returnTo ${evil}`);
    }
  });

  test('blockNewUsers: a new user outside the passlist is refused, one inside signs up (not admin)', async () => {
    const browser = t.browser();
    const blocked = await throughProvider(browser, 'mallory');
    const refused = await callback(browser, blocked.code, blocked.state);
    assert.equal(refused.status, 403);
    assert.match(refused.text, /does not take new users except with an e-mail address at example.com/);
    assert.equal(await t.repos.users.findByName('mallory'), undefined);
    const welcome = t.browser();
    const ok = await throughProvider(welcome, 'bob');
    assert.equal((await callback(welcome, ok.code, ok.state)).status, 302);
    const me = await welcome.call<{ name: string; admin: boolean }>('GET', '/api/v1/me');
    assert.deepEqual([me.body.name, me.body.admin], ['bob', false]);
  });

  test('a private repository opens with the user’s token once repositories are granted, and not for others', async () => {
    const contextUrl = `${gh.url}/alice/secret.git`;
    const alice = t.browser();
    const signIn = await throughProvider(alice, 'alice');
    await callback(alice, signIn.code, signIn.state);
    const withoutScope = await alice.call<{ message: string }>('POST', '/api/v1/workspaces', { contextUrl });
    // a private repository shows as missing to a token without repo access: the answer says what to do
    assert.equal(withoutScope.status, 404, withoutScope.text);
    assert.match(withoutScope.body.message, /grant fake-github access to your private repositories/);
    // raising the scopes on demand: the same account, linked again with repo access
    const raise = await throughProvider(alice, 'alice', '/', '&repositories=1');
    assert.equal((await callback(alice, raise.code, raise.state)).status, 302);
    const created = await alice.call<{ id: string }>('POST', '/api/v1/workspaces', { contextUrl });
    assert.equal(created.status, 201, created.text);
    const bob = t.browser();
    const bobIn = await throughProvider(bob, 'bob', '/', '&repositories=1');
    await callback(bob, bobIn.code, bobIn.state);
    const refused = await bob.call<{ message: string }>('POST', '/api/v1/workspaces', { contextUrl });
    assert.equal(refused.status, 404, refused.text);
    assert.ok(!refused.text.includes('gho_'));
  });

  test('the providers are listed without secrets; no token reaches a log line', async () => {
    const list = await t.browser().call<{ id: string }[]>('GET', '/api/v1/auth/providers');
    assert.deepEqual(list.body, [
      { id: 'fake-github', type: 'GitHub', host: gh.host, loginUrl: '/auth/fake-github/login' },
    ]);
    assert.ok(!list.text.includes(APP.clientSecret));
    const logs = t.logs.join('\n');
    assert.ok(!/gho_|atelier-secret/.test(logs), 'no token or client secret in the logs');
    assert.match(logs, /signed in with a provider/);
  });
});
