// Sign-in with GitLab (PKCE, refresh tokens) and Bitbucket Cloud (client by Basic auth, refresh
// tokens) against their fakes: the account is linked, the token stored sealed with its expiry, and
// an expired token is refreshed before git gets it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeScm, startFakeBitbucket, startFakeGitLab } from '@atelier/fake-scm';
import { type InstanceId, type WorkspaceId, workspaceConfigSchema } from '@atelier/protocol';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const CALLBACK = 'http://localhost:8080/auth/callback';
const APP = {
  clientId: 'atelier-client',
  clientSecret: 'atelier-secret-0123456789',
  redirectUris: [CALLBACK],
};
const USER = { login: 'gina', id: 501, name: 'Gina', email: 'gina@example.com' };

for (const [type, start] of [
  ['GitLab', startFakeGitLab],
  ['Bitbucket', startFakeBitbucket],
] as const) {
  describe(`sign-in with fake-${type.toLowerCase()}`, () => {
    let scm: FakeScm;
    let t: TestServer;

    before(async () => {
      scm = await start({
        users: [USER],
        apps: [APP],
        repos: [
          { owner: 'gina', name: 'site', private: false, branches: { main: { 'index.html': 'hi\n' } } },
        ],
        tokenLifetimeSeconds: 3600,
      });
      t = await startTestServer({
        config: {
          authProviders: [
            {
              id: 'scm',
              host: scm.host,
              type,
              scheme: 'http',
              oauth: { clientId: APP.clientId, clientSecret: APP.clientSecret },
            },
          ],
        },
        checkRepository: async () =>
          workspaceConfigSchema.parse({ origin: 'default', image: { kind: 'default' } }),
      });
    });
    after(async () => {
      await t?.close();
      await scm?.close();
    });

    test('the code flow signs in, links the account and keeps a refreshable token', async () => {
      const browser = t.browser();
      const startReply = await browser.call('GET', '/auth/scm/login?returnTo=%2F');
      assert.equal(startReply.status, 302, startReply.text);
      const authorize = startReply.headers.get('location') ?? '';
      const consent = await fetch(authorize, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: 'gina' }).toString(),
        redirect: 'manual',
      });
      assert.equal(consent.status, 302, await consent.text());
      const back = new URL(consent.headers.get('location') ?? '');
      const done = await browser.call(
        'GET',
        `/auth/callback?code=${back.searchParams.get('code')}&state=${back.searchParams.get('state')}`,
      );
      assert.equal(done.status, 302, done.text);
      const me = await browser.call<{ name: string }>('GET', '/api/v1/me');
      assert.equal(me.body.name, 'gina');
      const user = await t.repos.users.findByName('gina');
      assert.ok(user);
      const [identity] = await t.repos.identities.listForUser(user.id);
      assert.ok(identity);
      const stored = await t.repos.scmTokens.get('scm', identity.subject);
      assert.ok(stored?.expiresAt, 'the expiry is kept');
      const sealed = JSON.parse(t.secrets.open(stored.tokenSealed)) as { refreshToken?: string };
      assert.ok(sealed.refreshToken, 'a refresh token is kept');

      // the token expired: git's credentials come from a refresh, stored for the next time
      const expired = JSON.stringify({ ...sealed, expiresAt: new Date(Date.now() - 1000).toISOString() });
      await t.repos.scmTokens.put({ ...stored, tokenSealed: t.secrets.seal(expired), expiresAt: null });
      const created = await browser.call<{ id: WorkspaceId; instanceId: InstanceId }>(
        'POST',
        '/api/v1/workspaces',
        {
          contextUrl: `http://${scm.host}/gina/site.git`,
        },
      );
      assert.equal(created.status, 201, created.text);
      const { client: workspace } = await t.workspaceClient(created.body.instanceId);
      const git = await workspace.call<{ username: string; password: string }>(
        'GET',
        `/api/v1/workspaces/${created.body.id}/git-credentials?host=${scm.host}`,
      );
      assert.equal(git.status, 200, git.text);
      assert.equal(git.body.username, type === 'GitLab' ? 'oauth2' : 'x-token-auth');
      const renewed = JSON.parse(
        t.secrets.open((await t.repos.scmTokens.get('scm', identity.subject))?.tokenSealed ?? ''),
      );
      assert.equal(git.body.password, renewed.accessToken);
      assert.ok(
        Date.parse(renewed.expiresAt) > Date.now(),
        'the refreshed token is stored with its new expiry',
      );
      assert.ok(scm.log.some((e) => e.kind === 'token' && e.grantType === 'refresh_token' && !e.error));
    });
  });
}
