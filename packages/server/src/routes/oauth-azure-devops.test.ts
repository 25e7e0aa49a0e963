// Sign-in with Azure DevOps through Microsoft Entra ID against fake-azure-devops: the tenant's
// endpoints from oauth.issuer, PKCE, `.default offline_access`; the account from the profile, the
// token stored sealed with its expiry; an expired token refreshed before the API and git get it,
// and git cloning the private repository with the credentials handed to the workspace.
// Administrators may add an Azure DevOps provider, its tenant checked.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type FakeScm, startFakeAzureDevOps } from '@atelier/fake-scm';
import type { InstanceId, WorkspaceId } from '@atelier/protocol';
import { startTestServer, type TestServer } from '../testing/test-server.js';

const run = promisify(execFile);
const CALLBACK = 'http://localhost:8080/auth/callback';
const APP = {
  clientId: 'atelier-entra-app',
  clientSecret: 'entra-secret-0123456789',
  redirectUris: [CALLBACK],
};
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ADO = '499b84ac-1321-427f-aa17-267ca6975798';

interface ErrorReply {
  code: string;
  message: string;
  details?: string[];
}

describe('sign-in with fake-azure-devops (Entra ID)', () => {
  let ado: FakeScm;
  let t: TestServer;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'oauth-azure-devops-'));
    ado = await startFakeAzureDevOps({
      users: [{ login: 'gina', id: 501, name: 'Gina Gómez', email: 'gina@contoso.com' }],
      apps: [APP],
      repos: [
        {
          owner: 'contoso/Site',
          name: 'site',
          private: true,
          collaborators: ['gina'],
          branches: { main: { 'index.html': 'hi\n', '.gitpod.yml': 'image: node:22\n' } },
        },
      ],
    });
    t = await startTestServer({
      config: {
        authProviders: [
          {
            id: 'ado',
            host: ado.host,
            type: 'AzureDevOps',
            scheme: 'http',
            oauth: {
              clientId: APP.clientId,
              clientSecret: APP.clientSecret,
              issuer: `${ado.url}/${TENANT}/v2.0`,
            },
          },
        ],
      },
    });
  });
  after(async () => {
    await t?.close();
    await ado?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('the code flow signs in, links the account, keeps a refreshable token; git clones with it', async () => {
    const browser = t.browser();
    const startReply = await browser.call('GET', '/auth/ado/login?returnTo=%2F');
    assert.equal(startReply.status, 302, startReply.text);
    const authorize = new URL(startReply.headers.get('location') ?? '');
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${ado.url}/${TENANT}/oauth2/v2.0/authorize`);
    assert.equal(authorize.searchParams.get('scope'), `${ADO}/.default offline_access`);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    const consent = await fetch(authorize, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'gina' }).toString(),
      redirect: 'manual',
    });
    assert.equal(consent.status, 302, await consent.text());
    const back = new URL(consent.headers.get('location') ?? '');
    const done = await browser.call('GET', `/auth/callback${back.search}`);
    assert.equal(done.status, 302, done.text);

    const me = await browser.call<{ name: string }>('GET', '/api/v1/me');
    assert.equal(me.body.name, 'gina', 'the user is named after the e-mail address');
    const user = await t.repos.users.findByName('gina');
    assert.ok(user);
    const [identity] = await t.repos.identities.listForUser(user.id);
    assert.deepEqual([identity?.login, identity?.email], ['gina', 'gina@contoso.com']);
    assert.match(identity?.subject ?? '', /^[0-9a-f-]{36}$/, 'the profile id is the subject');
    const stored = await t.repos.scmTokens.get('ado', identity?.subject ?? '');
    assert.ok(stored?.expiresAt, 'the expiry is kept');
    assert.equal(stored.scopes, `${ADO}/user_impersonation`);
    const sealed = JSON.parse(t.secrets.open(stored.tokenSealed)) as { refreshToken?: string };
    assert.ok(sealed.refreshToken, 'a refresh token is kept');

    // the token expired: the API calls and git's credentials come from a refresh, stored for next time
    const expired = JSON.stringify({ ...sealed, expiresAt: new Date(Date.now() - 1000).toISOString() });
    await t.repos.scmTokens.put({ ...stored, tokenSealed: t.secrets.seal(expired), expiresAt: null });
    const created = await browser.call<{ id: WorkspaceId; instanceId: InstanceId }>(
      'POST',
      '/api/v1/workspaces',
      {
        contextUrl: `${ado.url}/contoso/Site/_git/site`,
      },
    );
    assert.equal(created.status, 201, created.text);
    const refreshes = ado.log.filter((e) => e.kind === 'token' && e.grantType === 'refresh_token');
    assert.deepEqual(
      refreshes.map((e) => e.kind === 'token' && e.error),
      [undefined],
      'one refresh, before the first API call',
    );
    const apiCalls = ado.log.filter((e) => e.kind === 'api' && e.path.includes('/_apis/git/'));
    assert.ok(apiCalls.length > 0, 'the context is resolved through the API');
    for (const call of apiCalls) {
      assert.ok(call.kind === 'api' && call.login === 'gina' && call.status !== 401, JSON.stringify(call));
    }

    const { client: workspace } = await t.workspaceClient(created.body.instanceId);
    const git = await workspace.call<{ username: string; password: string }>(
      'GET',
      `/api/v1/workspaces/${created.body.id}/git-credentials?host=${ado.host}`,
    );
    assert.equal(git.status, 200, git.text);
    assert.equal(git.body.username, 'oauth2');
    const renewed = JSON.parse(
      t.secrets.open((await t.repos.scmTokens.get('ado', identity?.subject ?? ''))?.tokenSealed ?? ''),
    );
    assert.equal(git.body.password, renewed.accessToken);
    assert.ok(
      Date.parse(renewed.expiresAt) > Date.now(),
      'the refreshed token is stored with its new expiry',
    );

    // what the workspace's credential helper would answer, given to real git
    const helper = `!f() { echo username=${git.body.username}; echo password=${git.body.password}; }; f`;
    const dest = join(work, 'site');
    const clone = await run(
      'git',
      ['-c', `credential.helper=${helper}`, 'clone', '-q', `${ado.url}/contoso/Site/_git/site`, dest],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: work,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_TERMINAL_PROMPT: '0',
        },
      },
    );
    assert.equal(clone.stderr, '');
    assert.equal(await readFile(join(dest, 'index.html'), 'utf8'), 'hi\n');
  });

  test('a refused consent comes back as a refusal, and no account is linked', async () => {
    const browser = t.browser();
    const startReply = await browser.call('GET', '/auth/ado/login?returnTo=%2F');
    const denied = await fetch(startReply.headers.get('location') ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'gina', deny: '1' }).toString(),
      redirect: 'manual',
    });
    const back = new URL(denied.headers.get('location') ?? '');
    assert.equal(back.searchParams.get('error'), 'access_denied');
    const done = await browser.call('GET', `/auth/callback${back.search}`);
    assert.equal(done.status, 403);
    assert.match(done.text, /the provider did not sign you in \(access_denied/);
    assert.equal((await browser.call('GET', '/api/v1/me')).status, 401);
  });

  test('administrators may add an Azure DevOps provider; its issuer must name an Entra tenant', async () => {
    const admin = (await t.userClient('root', { admin: true })).client;
    const corp = (issuer?: string) => ({
      id: 'ado-corp',
      host: 'dev.azure.com',
      type: 'AzureDevOps',
      oauth: { clientId: 'corp-app', clientSecret: 'corp-secret', ...(issuer ? { issuer } : {}) },
    });
    const wrong = await admin.call<ErrorReply>(
      'POST',
      '/api/v1/admin/auth-providers',
      corp('https://login.microsoftonline.com/contoso'),
    );
    assert.equal(wrong.status, 400, wrong.text);
    assert.match(
      wrong.body.details?.[0] ?? '',
      /^oauth\.issuer: an AzureDevOps provider's issuer is its Entra ID tenant's/,
    );
    const added = await admin.call('POST', '/api/v1/admin/auth-providers', corp());
    assert.equal(added.status, 201, added.text);
    const login = await t.browser().call('GET', '/auth/ado-corp/login?returnTo=%2F');
    assert.equal(login.status, 302, login.text);
    const target = new URL(login.headers.get('location') ?? '');
    assert.equal(
      `${target.origin}${target.pathname}`,
      'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
      'without an issuer: any work or school account',
    );
    assert.equal(target.searchParams.get('client_id'), 'corp-app');
  });
});
