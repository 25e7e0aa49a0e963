// Sign-in with Bitbucket Server / Data Center against fake-bitbucket-server: the incoming application
// link's OAuth 2.0 with PKCE and its scopes, the account from whoami and the users API (also for a
// user whose slug is not the name), the token stored sealed with its expiry; an expired token
// refreshed before the API and git get it, and git cloning and pushing with the account's user name
// beside the token. Administrators may add a Bitbucket Server provider.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type FakeScm, startFakeBitbucketServer } from '@atelier/fake-scm';
import type { InstanceId, WorkspaceId } from '@atelier/protocol';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

const run = promisify(execFile);
const CALLBACK = 'http://localhost:8080/auth/callback';
const APP = { clientId: 'atelier-link', clientSecret: 'link-secret-0123456789', redirectUris: [CALLBACK] };

describe('sign-in with fake-bitbucket-server', () => {
  let bbs: FakeScm;
  let t: TestServer;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'oauth-bitbucket-server-'));
    bbs = await startFakeBitbucketServer({
      users: [
        { login: 'gina', id: 501, name: 'Gina Gómez', email: 'gina@corp.example' },
        { login: 'Hal@Corp', id: 502, name: 'Hal H', email: 'hal@corp.example' },
      ],
      apps: [APP],
      repos: [
        {
          owner: 'SITE',
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
            id: 'bbs',
            host: bbs.host,
            type: 'BitbucketServer',
            scheme: 'http',
            oauth: { clientId: APP.clientId, clientSecret: APP.clientSecret },
          },
        ],
      },
    });
  });
  after(async () => {
    await t?.close();
    await bbs?.close();
    await rm(work, { recursive: true, force: true });
  });

  /** Through the fake's sign-in page as `login`; the browser comes back signed in. */
  async function signIn(browser: TestClient, login: string, query: string): Promise<URL> {
    const startReply = await browser.call('GET', `/auth/bbs/login?returnTo=%2F${query}`);
    assert.equal(startReply.status, 302, startReply.text);
    const authorize = new URL(startReply.headers.get('location') ?? '');
    const consent = await fetch(authorize, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login }).toString(),
      redirect: 'manual',
    });
    assert.equal(consent.status, 302, await consent.text());
    const back = new URL(consent.headers.get('location') ?? '');
    const done = await browser.call('GET', `/auth/callback${back.search}`);
    assert.equal(done.status, 302, done.text);
    return authorize;
  }

  test('the code flow signs in, links the account, keeps a refreshable token; git clones and pushes with it', async () => {
    const browser = t.browser();
    const authorize = await signIn(browser, 'gina', '&repositories=1');
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${bbs.url}/rest/oauth2/latest/authorize`);
    assert.equal(authorize.searchParams.get('scope'), 'PUBLIC_REPOS REPO_READ REPO_WRITE');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('redirect_uri'), CALLBACK);

    const me = await browser.call<{ name: string }>('GET', '/api/v1/me');
    assert.equal(me.body.name, 'gina');
    const user = await t.repos.users.findByName('gina');
    assert.ok(user);
    const [identity] = await t.repos.identities.listForUser(user.id);
    assert.deepEqual(
      [identity?.subject, identity?.login, identity?.email],
      ['501', 'gina', 'gina@corp.example'],
    );
    const stored = await t.repos.scmTokens.get('bbs', '501');
    assert.ok(stored?.expiresAt, 'the expiry is kept');
    assert.equal(stored.scopes, 'PUBLIC_REPOS REPO_READ REPO_WRITE');
    const sealed = JSON.parse(t.secrets.open(stored.tokenSealed)) as { refreshToken?: string };
    assert.ok(sealed.refreshToken, 'a refresh token is kept');

    // the token expired: the API calls and git's credentials come from a refresh, stored for next time
    const expired = JSON.stringify({ ...sealed, expiresAt: new Date(Date.now() - 1000).toISOString() });
    await t.repos.scmTokens.put({ ...stored, tokenSealed: t.secrets.seal(expired), expiresAt: null });
    const created = await browser.call<{ id: WorkspaceId; instanceId: InstanceId }>(
      'POST',
      '/api/v1/workspaces',
      { contextUrl: `${bbs.url}/projects/SITE/repos/site/browse?at=refs/heads/main` },
    );
    assert.equal(created.status, 201, created.text);
    const refreshes = bbs.log.filter((e) => e.kind === 'token' && e.grantType === 'refresh_token');
    assert.deepEqual(
      refreshes.map((e) => e.kind === 'token' && e.error),
      [undefined],
      'one refresh, before the first API call',
    );
    const apiCalls = bbs.log.filter((e) => e.kind === 'api' && e.path.includes('/repos/site'));
    assert.ok(apiCalls.length > 0, 'the context is resolved through the API');
    for (const call of apiCalls) {
      assert.ok(call.kind === 'api' && call.login === 'gina' && call.status !== 401, JSON.stringify(call));
    }

    const { client: workspace } = await t.workspaceClient(created.body.instanceId);
    const git = await workspace.call<{ username: string; password: string }>(
      'GET',
      `/api/v1/workspaces/${created.body.id}/git-credentials?host=${bbs.host}`,
    );
    assert.equal(git.status, 200, git.text);
    assert.equal(git.body.username, 'gina', "the account's user name, not Bitbucket Cloud's x-token-auth");
    const renewed = JSON.parse(
      t.secrets.open((await t.repos.scmTokens.get('bbs', '501'))?.tokenSealed ?? ''),
    );
    assert.equal(git.body.password, renewed.accessToken);
    assert.ok(
      Date.parse(renewed.expiresAt) > Date.now(),
      'the refreshed token is stored with its new expiry',
    );

    // what the workspace's credential helper would answer, given to real git
    const helper = `credential.helper=!f() { echo username=${git.body.username}; echo password=${git.body.password}; }; f`;
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Gina',
      GIT_AUTHOR_EMAIL: 'gina@corp.example',
      GIT_COMMITTER_NAME: 'Gina',
      GIT_COMMITTER_EMAIL: 'gina@corp.example',
    };
    const dest = join(work, 'site');
    await run('git', ['-c', helper, 'clone', '-q', `${bbs.url}/scm/site/site.git`, dest], { env });
    assert.equal(await readFile(join(dest, 'index.html'), 'utf8'), 'hi\n');
    await writeFile(join(dest, 'more.txt'), 'more\n');
    await run('git', ['add', '-A'], { cwd: dest, env });
    await run('git', ['commit', '-q', '-m', 'More'], { cwd: dest, env });
    await run('git', ['-c', helper, 'push', '-q', 'origin', 'HEAD:refs/heads/more'], { cwd: dest, env });
    assert.ok(
      bbs.log.some((e) => e.kind === 'push' && e.ref === 'refs/heads/more' && e.login === 'gina'),
      'the push lands as gina',
    );
  });

  test('a plain sign-in asks to read repositories; a user whose slug is not the name is found', async () => {
    const browser = t.browser();
    const authorize = await signIn(browser, 'Hal@Corp', '');
    assert.equal(authorize.searchParams.get('scope'), 'PUBLIC_REPOS REPO_READ');
    const identity = await t.repos.identities.find('bbs', '502');
    assert.deepEqual([identity?.login, identity?.email], ['Hal@Corp', 'hal@corp.example']);
    assert.ok(
      bbs.log.some((e) => e.kind === 'api' && e.path.startsWith('/rest/api/1.0/users?filter=Hal%40Corp')),
      'found through the users list (its slug is hal_corp)',
    );
    const me = await browser.call<{ name: string }>('GET', '/api/v1/me');
    assert.equal(me.body.name, 'hal-corp');
  });

  test('administrators may add a Bitbucket Server provider; its sign-in goes to the incoming link', async () => {
    const admin = (await t.userClient('root', { admin: true })).client;
    const added = await admin.call('POST', '/api/v1/admin/auth-providers', {
      id: 'bbs-corp',
      host: 'bitbucket.corp.example/git',
      type: 'BitbucketServer',
      oauth: { clientId: 'corp-link', clientSecret: 'corp-secret' },
    });
    assert.equal(added.status, 201, added.text);
    const login = await t.browser().call('GET', '/auth/bbs-corp/login?returnTo=%2F');
    assert.equal(login.status, 302, login.text);
    const target = new URL(login.headers.get('location') ?? '');
    assert.equal(
      `${target.origin}${target.pathname}`,
      'https://bitbucket.corp.example/git/rest/oauth2/latest/authorize',
    );
    assert.equal(target.searchParams.get('client_id'), 'corp-link');
  });
});
