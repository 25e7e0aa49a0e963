// A user's linked accounts through the API, after real sign-ins through fake-github and an OpenID
// Connect provider on loopback: every configured provider with its link state, the scopes and the
// access to private repositories before and after a repositories=1 sign-in, no token or client
// secret in an answer or a log line, each user their own, unlinking (identity and token gone), the
// refusal to take a user's last way to sign in, and no workspace token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import {
  type InstanceId,
  type LinkedAccountDto,
  type WorkspaceId,
  workspaceConfigSchema,
} from '@atelier/protocol';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.js';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

const CALLBACK = 'http://localhost:8080/auth/callback';
const APP = {
  clientId: 'atelier-client',
  clientSecret: 'atelier-secret-0123456789',
  redirectUris: [CALLBACK],
};
// no "-" in it: the mock provider does not decode the form-encoded Basic user name
const SSO = { clientId: 'atelier', clientSecret: 'atelier-sso-secret-0123456789' };
const ACCOUNTS = '/api/v1/me/accounts';

describe('linked accounts', () => {
  let gh: FakeScm;
  let idp: TestOidcProvider;
  let t: TestServer;

  before(async () => {
    gh = await startFakeGitHub({
      users: [
        { login: 'alice', id: 101, name: 'Alice', email: 'alice@example.com' },
        { login: 'carol', id: 103, name: 'Carol', email: 'carol@example.com' },
      ],
      apps: [APP],
      repos: [],
    });
    idp = await startOidcProvider();
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
          {
            id: 'corp-sso',
            host: idp.host,
            type: 'OIDC',
            scheme: 'http',
            oauth: { ...SSO, issuer: idp.issuer },
          },
        ],
      },
      checkRepository: async () =>
        workspaceConfigSchema.parse({ origin: 'default', image: { kind: 'default' } }),
    });
  });
  after(async () => {
    await t?.close();
    await gh?.close();
    await idp?.close();
  });

  /** A browser signed in with the password of a user made by t.userClient. */
  async function passwordSession(name: string): Promise<TestClient> {
    const browser = t.browser();
    const login = await browser.call('POST', '/api/v1/login', { name, password: `${name}-password` });
    assert.equal(login.status, 200, login.text);
    return browser;
  }

  /** Through fake-github as `login` (with `query` such as &link=1) and back; the callback's answer. */
  async function viaGitHub(browser: TestClient, login: string, query: string) {
    const start = await browser.call('GET', `/auth/fake-github/login?returnTo=%2Faccounts${query}`);
    assert.equal(start.status, 302, start.text);
    const consent = await fetch(start.headers.get('location') ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login }).toString(),
      redirect: 'manual',
    });
    assert.equal(consent.status, 302, await consent.text());
    const back = new URL(consent.headers.get('location') ?? '');
    return browser.call('GET', `/auth/callback${back.search}`);
  }

  /** Through the OpenID Connect provider, which signs in whoever `claims` name, and back. */
  async function viaSso(browser: TestClient, claims: Record<string, unknown>, query: string) {
    idp.idTokenClaims = claims;
    const start = await browser.call('GET', `/auth/corp-sso/login?returnTo=%2Faccounts${query}`);
    assert.equal(start.status, 302, start.text);
    const answer = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    assert.equal(answer.status, 302, await answer.text());
    return browser.call('GET', `/auth/callback${new URL(answer.headers.get('location') ?? '').search}`);
  }

  const accounts = async (client: TestClient) => {
    const reply = await client.call<LinkedAccountDto[]>('GET', ACCOUNTS);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    return reply;
  };
  const at = (list: LinkedAccountDto[], id: string) => list.find((a) => a.providerId === id)?.linked;

  /** Every token the providers handed out, and the client secrets: none may show. */
  const secrets = async () => {
    const sealed = await t.repos.scmTokens.get('fake-github', '101');
    const opened = sealed
      ? (JSON.parse(t.secrets.open(sealed.tokenSealed)) as { accessToken: string })
      : null;
    return [APP.clientSecret, SSO.clientSecret, ...idp.issued, ...(opened ? [opened.accessToken] : [])];
  };

  test('a password user links fake-github, then grants it private repositories; the list says so', async () => {
    const { client: ada } = await t.userClient('ada');
    const browser = await passwordSession('ada');
    assert.deepEqual((await accounts(ada)).body, [
      {
        providerId: 'fake-github',
        type: 'GitHub',
        host: gh.host,
        linked: null,
        linkUrl: '/auth/fake-github/login?link=1',
        grantUrl: '/auth/fake-github/login?link=1&repositories=1',
      },
      {
        providerId: 'corp-sso',
        type: 'OIDC',
        host: idp.host,
        linked: null,
        linkUrl: '/auth/corp-sso/login?link=1',
        grantUrl: null,
      },
    ]);

    const linked = await viaGitHub(browser, 'alice', '&link=1');
    assert.equal(linked.status, 302, linked.text);
    assert.equal(linked.headers.get('location'), '/accounts');
    assert.equal((await browser.call<{ name: string }>('GET', '/api/v1/me')).body.name, 'ada', 'still ada');
    const first = at((await accounts(browser)).body, 'fake-github');
    assert.ok(first);
    assert.deepEqual(
      [first.login, first.email, first.scopes, first.privateRepositories],
      ['alice', 'alice@example.com', ['read:user', 'user:email'], false],
    );
    assert.equal(first.linkedAt, first.lastSigninAt);

    assert.equal((await viaGitHub(browser, 'alice', '&link=1&repositories=1')).status, 302);
    const list = await accounts(ada);
    const granted = at(list.body, 'fake-github');
    assert.ok(granted);
    assert.deepEqual(
      [granted.login, granted.scopes, granted.privateRepositories],
      ['alice', ['read:user', 'user:email', 'repo'], true],
    );
    assert.equal(granted.linkedAt, first.linkedAt, 'linked when it was first linked');
    assert.ok(granted.lastSigninAt >= first.lastSigninAt);
    assert.equal(at(list.body, 'corp-sso'), null);

    const shown = [list.text, (await accounts(browser)).text].join('\n');
    const logs = t.logs.join('\n');
    for (const secret of await secrets()) {
      assert.ok(!shown.includes(secret), 'no token or client secret in the answer');
      assert.ok(!logs.includes(secret), 'no token or client secret in the logs');
    }
    assert.ok(!/gho_|tokenSealed|accessToken/.test(shown));
  });

  test('another user sees only their own accounts and cannot unlink anyone else’s', async () => {
    const { client: bob } = await t.userClient('bob');
    const list = (await accounts(bob)).body;
    assert.deepEqual(
      list.map((a) => [a.providerId, a.linked]),
      [
        ['fake-github', null],
        ['corp-sso', null],
      ],
    );
    const refused = await bob.call<{ message: string }>('DELETE', `${ACCOUNTS}/fake-github`);
    assert.equal(refused.status, 404, refused.text);
    assert.match(refused.body.message, /no fake-github account is linked to you: there is nothing to unlink/);
    assert.ok(await t.repos.identities.find('fake-github', '101'), 'ada’s account is still linked');
  });

  test('unlinking removes the identity and its stored token; it is logged without the token', async () => {
    const browser = await passwordSession('ada');
    const tokens = await secrets();
    const ada = await t.repos.users.findByName('ada');
    assert.ok(ada);
    assert.ok(await t.repos.scmTokens.get('fake-github', '101'));
    const done = await browser.call('DELETE', `${ACCOUNTS}/fake-github`);
    assert.equal(done.status, 204, done.text);
    assert.deepEqual(await t.repos.identities.listForUser(ada.id), []);
    assert.equal(await t.repos.scmTokens.get('fake-github', '101'), undefined, 'the token is deleted');
    assert.equal(at((await accounts(browser)).body, 'fake-github'), null);
    const line = t.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => /unlinked/.test(String(l.msg)));
    assert.deepEqual([line?.userId, line?.provider, line?.logins], [ada.id, 'fake-github', ['alice']]);
    const logs = t.logs.join('\n');
    for (const secret of tokens) assert.ok(!logs.includes(secret), 'no token in the logs');
    assert.equal((await browser.call('DELETE', `${ACCOUNTS}/fake-github`)).status, 404, 'gone already');
  });

  test('a user who signed up through a provider keeps it until another way in is linked', async () => {
    const browser = t.browser();
    assert.equal((await viaGitHub(browser, 'carol', '')).status, 302, 'signed up as carol');
    const carol = await t.repos.users.findByName('carol');
    assert.equal(carol?.passwordHash, null);
    const refused = await browser.call<{ message: string }>('DELETE', `${ACCOUNTS}/fake-github`);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(
      refused.body.message,
      'unlinking fake-github would leave you no way to sign in — you have no password and no other linked account: link an account at another provider first, then unlink this one',
    );
    assert.ok(await t.repos.identities.find('fake-github', '103'), 'still linked');
    assert.ok(await t.repos.scmTokens.get('fake-github', '103'), 'its token kept');

    const sso = {
      sub: 'carol-0001',
      preferred_username: 'carol.c',
      email: 'carol@example.com',
      email_verified: true,
    };
    const ssoLinked = await viaSso(browser, sso, '&link=1');
    assert.equal(ssoLinked.status, 302, ssoLinked.text);
    const list = (await accounts(browser)).body;
    assert.deepEqual(
      list.map((a) => [a.providerId, a.linked?.login, a.linked?.scopes, a.linked?.privateRepositories]),
      [
        ['fake-github', 'carol', ['read:user', 'user:email'], false],
        ['corp-sso', 'carol.c', [], false],
      ],
    );
    assert.equal((await browser.call('DELETE', `${ACCOUNTS}/fake-github`)).status, 204, 'corp-sso remains');
    const last = await browser.call<{ message: string }>('DELETE', `${ACCOUNTS}/corp-sso`);
    assert.equal(last.status, 409, last.text);
    assert.match(last.body.message, /^unlinking corp-sso would leave you no way to sign in/);
  });

  test('with password sign-in turned off, a password does not count as a way in (but an administrator’s does)', async () => {
    const strict = await startTestServer({
      config: {
        auth: { localAccounts: false },
        authProviders: [
          {
            id: 'fake-github',
            host: gh.host,
            type: 'GitHub',
            scheme: 'http',
            oauth: { clientId: APP.clientId, clientSecret: APP.clientSecret },
          },
        ],
      },
    });
    try {
      const { user } = await strict.userClient('alice');
      await strict.repos.identities.link({
        providerId: 'fake-github',
        subject: '101',
        userId: user.id,
        login: 'alice',
        email: null,
      });
      const browser = strict.browser();
      assert.equal((await viaGitHub(browser, 'alice', '')).status, 302, 'signed in as alice');
      const refused = await browser.call<{ message: string }>('DELETE', `${ACCOUNTS}/fake-github`);
      assert.equal(refused.status, 409, refused.text);
      assert.match(
        refused.body.message,
        /sign-in with a password is turned off here and you have no other linked account, and no other provider is configured here: keep this account linked$/,
      );
      await strict.repos.users.update(user.id, { admin: true });
      assert.equal((await browser.call('DELETE', `${ACCOUNTS}/fake-github`)).status, 204);
    } finally {
      await strict.close();
    }
  });

  test('a workspace token may neither list nor unlink accounts', async () => {
    const { client: owner } = await t.userClient('dora');
    const created = await owner.call<{ id: WorkspaceId; instanceId: InstanceId }>(
      'POST',
      '/api/v1/workspaces',
      {
        contextUrl: 'https://example.com/dora/site.git',
      },
    );
    assert.equal(created.status, 201, created.text);
    const { client: workspace } = await t.workspaceClient(created.body.instanceId);
    assert.equal((await workspace.call('GET', '/api/v1/me')).status, 200, 'the token works');
    assert.equal((await workspace.call('GET', ACCOUNTS)).status, 403);
    assert.equal((await workspace.call('DELETE', `${ACCOUNTS}/fake-github`)).status, 403);
    assert.equal((await t.browser().call('GET', ACCOUNTS)).status, 401, 'no credential');
  });

  test('the OpenAPI document describes the routes', async () => {
    const doc = await t
      .browser()
      .call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json');
    assert.deepEqual(Object.keys(doc.body.paths[ACCOUNTS] ?? {}), ['get']);
    const del = doc.body.paths[`${ACCOUNTS}/{providerId}`]?.delete as {
      parameters: { name: string }[];
      responses: Record<string, unknown>;
    };
    assert.deepEqual(
      del.parameters.map((p) => p.name),
      ['providerId'],
    );
    assert.ok(del.responses['409'], 'the last-way refusal is documented');
  });
});
