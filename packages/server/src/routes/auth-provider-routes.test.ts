// Administrators' sign-in providers: admins only; input checked by the config file's rules, each
// problem naming its field; the client secret never comes back nor reaches a log; a provider added
// (or written to the database by another replica) signs users in at once; the config file's stay
// read-only and keep their ids and hosts; linked accounts are not unlinked without ?force=1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import type { AdminAuthProviderDto, AdminAuthProvidersDto } from '@atelier/protocol';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

const CALLBACK = 'http://localhost:8080/auth/callback';
const SECRET = 'corp-secret-0123456789';
const APP = { clientId: 'corp-client', clientSecret: SECRET, redirectUris: [CALLBACK] };
const ADMIN = '/api/v1/admin/auth-providers';

interface ErrorReply {
  code: string;
  message: string;
  details?: string[];
}

describe('sign-in providers managed by administrators', () => {
  let gh: FakeScm;
  let t: TestServer;
  let admin: TestClient;
  let user: TestClient;

  before(async () => {
    gh = await startFakeGitHub({
      users: [{ login: 'carol', id: 301, name: 'Carol', email: 'carol@example.com' }],
      apps: [APP],
      repos: [],
    });
    t = await startTestServer({
      config: {
        authProviders: [
          {
            id: 'github',
            host: 'github.com',
            type: 'GitHub',
            oauth: { clientId: 'config-client', clientSecret: 'config-secret-0123456789' },
          },
        ],
      },
    });
    admin = (await t.userClient('root', { admin: true })).client;
    user = (await t.userClient('dave')).client;
  });
  after(async () => {
    await t?.close();
    await gh?.close();
  });

  const corp = (overrides: Record<string, unknown> = {}) => ({
    id: 'corp',
    host: gh.host,
    type: 'GitHub',
    scheme: 'http',
    oauth: { clientId: APP.clientId, clientSecret: SECRET },
    ...overrides,
  });

  /** /auth/<id>/login → the fake's page, where carol authorizes → /auth/callback: a session. */
  async function signInThrough(id: string): Promise<TestClient> {
    const browser = t.browser();
    const start = await browser.call('GET', `/auth/${id}/login?returnTo=%2F`);
    assert.equal(start.status, 302, start.text);
    const authorize = start.headers.get('location') ?? '';
    assert.ok(authorize.startsWith(`${gh.url}/login/oauth/authorize?`), authorize);
    assert.equal(new URL(authorize).searchParams.get('client_id'), APP.clientId);
    const consent = await fetch(authorize, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'carol' }).toString(),
      redirect: 'manual',
    });
    const back = new URL(consent.headers.get('location') ?? '');
    const done = await browser.call('GET', `/auth/callback${back.search}`);
    assert.equal(done.status, 302, done.text);
    return browser;
  }

  test('only administrators: 401 without a credential, 403 for a user', async () => {
    assert.equal((await t.browser().call('GET', ADMIN)).status, 401);
    const calls: [string, string, unknown?][] = [
      ['GET', ADMIN],
      ['POST', ADMIN, corp()],
      ['PATCH', `${ADMIN}/corp`, { host: 'x.example' }],
      ['DELETE', `${ADMIN}/corp`],
    ];
    for (const [method, path, body] of calls) {
      const reply = await user.call<ErrorReply>(method, path, body);
      assert.equal(reply.status, 403, `${method} ${path}`);
      assert.equal(reply.body.message, 'only administrators manage sign-in providers: ask one to add yours');
    }
    assert.equal(await t.repos.authProviders.get('corp'), undefined);
  });

  test('the list shows the config file’s provider, read-only, and the callback URL to register', async () => {
    const list = await admin.call<AdminAuthProvidersDto>('GET', ADMIN);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.callbackUrl, CALLBACK);
    assert.deepEqual(list.body.providers, [
      {
        id: 'github',
        type: 'GitHub',
        host: 'github.com',
        scheme: 'https',
        clientId: 'config-client',
        clientSecretSet: true,
        issuer: null,
        callbackUrl: CALLBACK,
        source: 'config',
        linkedAccounts: 0,
        problem: null,
        createdAt: null,
        updatedAt: null,
      },
    ]);
    assert.ok(!list.text.includes('config-secret'));
    for (const [method, path, body] of [
      ['PATCH', `${ADMIN}/github`, { oauth: { clientId: 'x' } }],
      ['DELETE', `${ADMIN}/github`, undefined],
    ] as const) {
      const reply = await admin.call<ErrorReply>(method, path, body);
      assert.equal(reply.status, 403, `${method}: ${reply.text}`);
      assert.equal(
        reply.body.message,
        'sign-in provider github comes from the config file (authProviders): change it there and restart Atelier',
      );
    }
  });

  test('invalid input is refused by the config file’s rules, each problem naming its field', async () => {
    const cases: [string, unknown, string[]][] = [
      [
        'nothing',
        {},
        [
          'id: Invalid input: expected string, received undefined',
          'host: Invalid input: expected string, received undefined',
          'type: Invalid option: expected one of "GitHub"|"GitLab"|"Bitbucket"|"BitbucketServer"|"AzureDevOps"|"OIDC"',
          'oauth: Invalid input: expected object, received undefined',
        ],
      ],
      ['a bad id', corp({ id: 'no spaces' }), ['id: must be 1–64 letters, digits, ".", "_" or "-"']],
      [
        'an upper-case host',
        corp({ host: 'GitHub.Corp', scheme: 'https' }),
        ['host: must be a lower-case host name with an optional :port and /path, such as gitlab.example.com'],
      ],
      [
        'http off loopback',
        corp({ host: 'github.corp.example' }),
        [
          "scheme: http is only for a provider on this machine's loopback (github.corp.example is not): use https",
        ],
      ],
      [
        'no client secret',
        corp({ oauth: { clientId: 'c', clientSecret: '' } }),
        [
          'oauth.clientSecret: is required: the client secret of the OAuth application registered at the provider',
        ],
      ],
      [
        'OIDC without issuer',
        corp({ type: 'OIDC', host: 'id.example.com', scheme: 'https' }),
        ['oauth.issuer: an OIDC provider needs oauth.issuer'],
      ],
      [
        'another callback URL',
        corp({ oauth: { clientId: 'c', clientSecret: 's', callBackUrl: 'https://elsewhere.example/cb' } }),
        [
          `oauth.callBackUrl: Atelier receives callbacks at ${CALLBACK} — register that URL at the provider and leave callBackUrl out`,
        ],
      ],
      ['an unknown field', corp({ extra: 1 }), ['(root): Unrecognized key: "extra"']],
    ];
    for (const [what, body, details] of cases) {
      const reply = await admin.call<ErrorReply>('POST', ADMIN, body);
      assert.equal(reply.status, 400, `${what}: ${reply.text}`);
      assert.deepEqual(reply.body.details, details, what);
    }
    assert.deepEqual(await t.repos.authProviders.list(), []);
  });

  test('the config file’s id and host are taken', async () => {
    const sameId = await admin.call<ErrorReply>('POST', ADMIN, corp({ id: 'github' }));
    assert.equal(sameId.status, 409);
    assert.equal(
      sameId.body.message,
      'id github belongs to a provider of the config file (authProviders): choose another id',
    );
    const sameHost = await admin.call<ErrorReply>(
      'POST',
      ADMIN,
      corp({ host: 'github.com', scheme: 'https' }),
    );
    assert.equal(sameHost.status, 409);
    assert.equal(
      sameHost.body.message,
      'host github.com belongs to github of the config file (authProviders): one provider per host',
    );
  });

  test('an added provider signs users in at once; its secret is never returned nor logged', async () => {
    const added = await admin.call<AdminAuthProviderDto>('POST', ADMIN, corp());
    assert.equal(added.status, 201, added.text);
    assert.equal(added.body.source, 'dashboard');
    assert.equal(added.body.callbackUrl, CALLBACK);
    assert.equal(added.body.clientSecretSet, true);
    assert.ok(!('clientSecret' in added.body));
    const stored = await t.repos.authProviders.get('corp');
    assert.ok(stored && !stored.clientSecretSealed.includes(SECRET), 'stored sealed');
    assert.equal(t.secrets.open(stored.clientSecretSealed), SECRET);

    const offered = await t.browser().call<{ id: string }[]>('GET', '/api/v1/auth/providers');
    assert.deepEqual(
      offered.body.map((p) => p.id),
      ['github', 'corp'],
    );
    const carol = await signInThrough('corp');
    const me = await carol.call<{ name: string }>('GET', '/api/v1/me');
    assert.equal(me.body.name, 'carol');

    const again = await admin.call<ErrorReply>(
      'POST',
      ADMIN,
      corp({ host: 'other.example', scheme: 'https' }),
    );
    assert.equal(again.status, 409);
    assert.equal(again.body.message, 'a sign-in provider with id corp exists already: choose another id');

    const list = await admin.call<AdminAuthProvidersDto>('GET', ADMIN);
    assert.deepEqual(
      list.body.providers.map((p) => [p.id, p.source, p.linkedAccounts]),
      [
        ['github', 'config', 0],
        ['corp', 'dashboard', 1],
      ],
    );
    for (const text of [added.text, list.text, offered.text, t.logs.join('\n')]) {
      assert.ok(!text.includes(SECRET), 'the client secret appears nowhere');
    }
    assert.match(t.logs.join('\n'), /sign-in provider added/);
  });

  test('a change keeps the id and the secret unless given; host or type wait for ?force=1 while accounts are linked', async () => {
    const renamed = await admin.call<ErrorReply>('PATCH', `${ADMIN}/corp`, { id: 'corp2' });
    assert.equal(renamed.status, 400);
    assert.deepEqual(renamed.body.details, [
      'id: the id cannot change: accounts are linked under it — add a provider with the new id instead',
    ]);
    const badHost = await admin.call<ErrorReply>('PATCH', `${ADMIN}/corp`, { host: 'gitlab.corp.example' });
    assert.equal(badHost.status, 400, 'http stays, and the merged provider is checked');
    assert.match(badHost.body.details?.[0] ?? '', /^scheme: http is only for/);

    const moved = await admin.call<ErrorReply>('PATCH', `${ADMIN}/corp`, {
      host: 'github.corp.example',
      scheme: 'https',
    });
    assert.equal(moved.status, 412, moved.text);
    assert.equal(
      moved.body.message,
      'corp has 1 account (user carol) linked: at another host or type their account ids would name other people — add a provider for github.corp.example instead, or change it anyway (?force=1) if the same server moved',
    );

    const secret2 = 'rotated-secret-9876543210';
    const rotated = await admin.call<AdminAuthProviderDto>('PATCH', `${ADMIN}/corp`, {
      oauth: { clientSecret: secret2 },
    });
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal(rotated.body.clientId, APP.clientId, 'unchanged fields stay');
    assert.equal(
      t.secrets.open((await t.repos.authProviders.get('corp'))?.clientSecretSealed ?? ''),
      secret2,
    );
    const clientOnly = await admin.call<AdminAuthProviderDto>('PATCH', `${ADMIN}/corp`, {
      oauth: { clientSecret: SECRET },
    });
    assert.equal(clientOnly.status, 200);
    assert.ok(!t.logs.join('\n').includes(secret2), 'nor the new secret in a log');
    assert.equal((await admin.call('PATCH', `${ADMIN}/nope`, { scheme: 'https' })).status, 404);
  });

  test('?force=1 moves a provider with linked accounts to another host (the same server, renamed)', async () => {
    const moved = await admin.call<AdminAuthProviderDto>('PATCH', `${ADMIN}/corp?force=1`, {
      host: 'github.corp.example',
      scheme: 'https',
    });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(
      [moved.body.host, moved.body.scheme, moved.body.linkedAccounts],
      ['github.corp.example', 'https', 1],
    );
    const back = await admin.call('PATCH', `${ADMIN}/corp?force=1`, { host: gh.host, scheme: 'http' });
    assert.equal(back.status, 200, back.text);
  });

  test('a delete with linked accounts needs ?force=1, then unlinks them', async () => {
    const refused = await admin.call<ErrorReply>('DELETE', `${ADMIN}/corp`);
    assert.equal(refused.status, 412);
    assert.equal(
      refused.body.message,
      'corp has 1 account (user carol) linked: deleting it unlinks them — those users can no longer sign in with corp and their workspaces lose its git credentials. Delete it anyway with ?force=1',
    );
    assert.equal((await admin.call('DELETE', `${ADMIN}/corp?force=1`)).status, 204);
    assert.equal(await t.repos.identities.find('corp', '301'), undefined, 'the account is unlinked');
    const gone = await t.browser().call<ErrorReply>('GET', '/auth/corp/login');
    assert.equal(gone.status, 404);
    assert.match(gone.body.message, /^no sign-in provider corp: the providers are github/);
    assert.equal((await admin.call('DELETE', `${ADMIN}/corp`)).status, 404);
  });

  test('an id under which accounts were linked before is reused only with ?force=1', async () => {
    const ada = await t.userClient('ada');
    // a provider of an earlier config file signed ada in; it was removed since
    await t.repos.identities.link({
      providerId: 'old',
      subject: '9',
      userId: ada.user.id,
      login: 'ada',
      email: null,
    });
    const refused = await admin.call<ErrorReply>('POST', ADMIN, corp({ id: 'old' }));
    assert.equal(refused.status, 412, refused.text);
    assert.equal(
      refused.body.message,
      `1 account (user ada) signed in earlier with a provider whose id was old: this provider would take them over, so its accounts must be the same ones — choose another id, or add it anyway (?force=1) if ${gh.host} is that same server`,
    );
    const forced = await admin.call<AdminAuthProviderDto>('POST', `${ADMIN}?force=1`, corp({ id: 'old' }));
    assert.equal(forced.status, 201, forced.text);
    assert.equal(forced.body.linkedAccounts, 1);
    assert.equal((await admin.call('DELETE', `${ADMIN}/old?force=1`)).status, 204);
  });

  test('a stored provider that cannot be used is listed with the reason and not offered', async () => {
    await t.repos.authProviders.create({
      id: 'lost-key',
      host: 'gitlab.example.com',
      type: 'GitLab',
      scheme: 'https',
      clientId: 'c',
      clientSecretSealed: 'v1.gone.aaaa.bbbb.cccc',
      issuer: null,
      createdBy: null,
    });
    const list = await admin.call<AdminAuthProvidersDto>('GET', ADMIN);
    const lost = list.body.providers.find((p) => p.id === 'lost-key');
    assert.match(lost?.problem ?? '', /^its client secret cannot be read: a secret was sealed with key gone/);
    const offered = await t.browser().call<{ id: string }[]>('GET', '/api/v1/auth/providers');
    assert.deepEqual(
      offered.body.map((p) => p.id),
      ['github'],
    );
    assert.equal((await admin.call('DELETE', `${ADMIN}/lost-key`)).status, 204);
  });

  test('a provider another replica wrote to the database is used at the next request', async () => {
    await t.repos.authProviders.create({
      id: 'replica',
      host: gh.host,
      type: 'GitHub',
      scheme: 'http',
      clientId: APP.clientId,
      clientSecretSealed: t.secrets.seal(SECRET),
      issuer: null,
      createdBy: null,
    });
    const carol = await signInThrough('replica');
    // accounts are kept per provider id: carol's account at 'replica' is a new user
    assert.equal((await carol.call<{ name: string }>('GET', '/api/v1/me')).body.name, 'carol-2');
    assert.equal((await admin.call('DELETE', `${ADMIN}/replica?force=1`)).status, 204);
  });

  test('the OpenAPI document describes the routes', async () => {
    const doc = await t
      .browser()
      .call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json');
    assert.deepEqual(Object.keys(doc.body.paths[ADMIN] ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.body.paths[`${ADMIN}/{id}`] ?? {}).sort(), ['delete', 'patch']);
  });
});
