// git inside a workspace gets its owner's SCM token from the API, through the workspace's own token
// only: another user's token is never handed out, a session or access token gets nothing, and the
// token reaches no log line.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import { type InstanceId, type WorkspaceId, workspaceConfigSchema } from '@atelier/protocol';
import { startTestServer, TestClient, type TestServer } from '../testing/test-server.js';

describe('git credentials for a workspace', () => {
  let t: TestServer;
  let scm: FakeScm;
  let SCM_TOKEN = '';
  let BOB_TOKEN = '';
  let host = '';
  const clients: Record<string, { session: TestClient; workspace: TestClient; id: WorkspaceId }> = {};

  before(async () => {
    // workspaces are made through fake-github's API, so it has the users and their repositories
    scm = await startFakeGitHub({
      users: [
        { login: 'alice', id: 1, name: 'Alice', email: 'alice@example.com' },
        { login: 'bob', id: 2, name: 'Bob', email: 'bob@example.com' },
      ],
      apps: [],
      repos: ['alice', 'bob'].map((owner) => ({
        owner,
        name: 'site',
        private: true,
        branches: { main: { 'index.html': '<h1>hi</h1>\n' } },
      })),
    });
    host = scm.host;
    SCM_TOKEN = scm.issueToken('alice', ['repo']);
    BOB_TOKEN = scm.issueToken('bob', ['repo']);
    t = await startTestServer({
      config: {
        authProviders: [
          {
            id: 'gh',
            host: scm.host,
            type: 'GitHub',
            scheme: 'http',
            oauth: { clientId: 'c', clientSecret: 's' },
          },
        ],
      },
      checkRepository: async () =>
        workspaceConfigSchema.parse({ origin: 'default', image: { kind: 'default' } }),
    });
    for (const [name, scmToken] of [
      ['alice', SCM_TOKEN],
      ['bob', BOB_TOKEN],
    ] as const) {
      const { user, client } = await t.userClient(name);
      await t.repos.identities.link({
        providerId: 'gh',
        subject: `id-${name}`,
        userId: user.id,
        login: name,
        email: null,
      });
      await t.repos.scmTokens.put({
        providerId: 'gh',
        subject: `id-${name}`,
        tokenSealed: t.secrets.seal(JSON.stringify({ accessToken: scmToken, scopes: ['repo'] })),
        scopes: 'repo',
        expiresAt: null,
      });
      const created = await client.call<{ id: WorkspaceId; instanceId: InstanceId }>(
        'POST',
        '/api/v1/workspaces',
        {
          contextUrl: `${scm.url}/${name}/site`,
        },
      );
      assert.equal(created.status, 201, created.text);
      const { token } = await t.workspaceClient(created.body.instanceId);
      clients[name] = {
        session: client,
        workspace: new TestClient(t.server.app, 'http://localhost:8080', token),
        id: created.body.id,
      };
    }
  });
  after(async () => {
    await t?.close();
    await scm?.close();
  });

  const ask = (who: TestClient, id: string, askedHost = host) =>
    who.call<{ username?: string; password?: string; message?: string }>(
      'GET',
      `/api/v1/workspaces/${id}/git-credentials?host=${askedHost}`,
    );

  test('the workspace gets its owner’s token for the SCM host, in git’s terms', async () => {
    const alice = clients.alice;
    assert.ok(alice);
    const reply = await ask(alice.workspace, alice.id);
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body, { username: 'x-access-token', password: SCM_TOKEN });
    assert.equal(reply.headers.get('cache-control'), 'no-store');
  });

  test('one user’s workspace never gets another user’s token; sessions and access tokens get none', async () => {
    const { alice, bob } = clients;
    assert.ok(alice && bob);
    const crossed = await ask(bob.workspace, alice.id);
    assert.equal(crossed.status, 403, crossed.text);
    const bobs = await ask(bob.workspace, bob.id);
    assert.equal(bobs.body.password, BOB_TOKEN, 'Bob’s workspace gets Bob’s token');
    const bySession = await ask(alice.session, alice.id);
    assert.equal(bySession.status, 403, bySession.text);
    assert.ok(!bySession.text.includes(SCM_TOKEN));
  });

  test('an unknown host or an owner without a linked account: a clear refusal', async () => {
    const alice = clients.alice;
    assert.ok(alice);
    const unknown = await ask(alice.workspace, alice.id, 'gitlab.example.com');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message ?? '', /no SCM provider is configured for gitlab.example.com/);
    await t.repos.identities.unlink((await t.repos.users.findByName('alice'))?.id as never, 'gh', 'id-alice');
    const unlinked = await ask(alice.workspace, alice.id);
    assert.equal(unlinked.status, 412);
    assert.match(unlinked.body.message ?? '', /no gh account linked: sign in with gh/);
  });

  test('no log line holds a token', () => {
    const all = t.logs.join('\n');
    assert.ok(!all.includes(SCM_TOKEN) && !all.includes(BOB_TOKEN));
    assert.match(all, /git credentials handed to a workspace/);
  });
});
