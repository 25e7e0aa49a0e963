// fake-azure-devops against real clients: Entra ID's code flow with PKCE and refresh tokens, the
// profile, the Git REST API 7.1 fields, git clone and push over HTTP with a token as the password.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adoScope, startFakeAzureDevOps } from './fake-azure-devops.js';
import type { FakeScm, FakeScmSpec } from './repos.js';
import { credentialHelper, getJson, git, pkcePair, postForm, signIn } from './test-client.js';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const TENANT = 'contoso.onmicrosoft.com';
const DEFAULT = `${adoScope('.default')} offline_access`;
const spec: FakeScmSpec = {
  users: [
    { login: 'alice', id: 11, name: 'Alice A', email: 'alice@contoso.com' },
    { login: 'bob', id: 12, name: 'Bob B', email: 'bob@contoso.com' },
  ],
  apps: [{ clientId: 'atelier-ado', clientSecret: 'ado-secret', redirectUris: [REDIRECT] }],
  repos: [
    {
      owner: 'contoso/Web Site',
      name: 'portal',
      private: true,
      branches: {
        main: { 'README.md': '# portal\n', 'docs/setup.md': 'setup\n', 'docs/deep/x.md': 'x\n' },
        'users/alice/login': { 'login.ts': 'x\n' },
      },
      tags: { 'v2.0': 'main' },
      pulls: [{ number: 7, title: 'Login page', head: 'users/alice/login', base: 'main', author: 'bob' }],
      collaborators: ['alice'],
    },
  ],
};

let ado: FakeScm;
const work = mkdtempSync(join(tmpdir(), 'fake-azure-devops-test-'));
before(async () => {
  ado = await startFakeAzureDevOps(spec);
});
after(async () => {
  await ado.close();
  rmSync(work, { recursive: true, force: true });
});

const authorizeUrl = (params: Record<string, string>) =>
  `${ado.url}/${TENANT}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: 'atelier-ado', redirect_uri: REDIRECT, response_type: 'code', ...params })}`;

async function code(challenge: string, scope = DEFAULT): Promise<string> {
  const url = authorizeUrl({ scope, state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
  const answer = await signIn(url, { login: 'alice' });
  assert.equal(answer.status, 302, answer.page);
  assert.match(answer.page, /fake-azure-devops: sign in to authorize atelier-ado/);
  const location = new URL(answer.location ?? '');
  assert.equal(location.searchParams.get('state'), 'st');
  return location.searchParams.get('code') ?? '';
}

const tokenCall = (fields: Record<string, string>) =>
  postForm(`${ado.url}/${TENANT}/oauth2/v2.0/token`, fields);
const base = {
  client_id: 'atelier-ado',
  client_secret: 'ado-secret',
  grant_type: 'authorization_code',
  redirect_uri: REDIRECT,
};

describe('fake-azure-devops: Entra ID', () => {
  test('code flow with PKCE: an expiring token for Azure DevOps, a refresh token, the profile', async () => {
    const { verifier, challenge } = pkcePair();
    const fields = { ...base, code: await code(challenge), code_verifier: verifier };
    const res = await tokenCall(fields);
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.deepEqual(
      [body.token_type, body.scope, body.expires_in, typeof body.refresh_token],
      ['Bearer', adoScope('user_impersonation'), 3599, 'string'],
    );
    const me = await getJson(
      `${ado.url}/_apis/profile/profiles/me?api-version=7.1`,
      String(body.access_token),
    );
    assert.equal(me.status, 200);
    assert.deepEqual(
      [me.body.displayName, me.body.emailAddress, me.body.id === me.body.publicAlias],
      ['Alice A', 'alice@contoso.com', true],
    );
    assert.match(String(me.body.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);

    const reused = await tokenCall(fields);
    assert.deepEqual([reused.status, reused.json().error], [400, 'invalid_grant']);
    assert.match(String(reused.json().error_description), /^AADSTS70000: /);
    const refresh = {
      client_id: 'atelier-ado',
      client_secret: 'ado-secret',
      grant_type: 'refresh_token',
      scope: DEFAULT,
    };
    const refreshed = await tokenCall({ ...refresh, refresh_token: String(body.refresh_token) });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.notEqual(refreshed.json().access_token, body.access_token);
    const again = await tokenCall({ ...refresh, refresh_token: String(body.refresh_token) });
    assert.deepEqual(
      [again.status, again.json().error],
      [400, 'invalid_grant'],
      'a refresh token is spent once',
    );
  });

  test('no refresh token without offline_access; no profile without a profile scope', async () => {
    const { verifier, challenge } = pkcePair();
    const res = await tokenCall({
      ...base,
      code: await code(challenge, adoScope('vso.code')),
      code_verifier: verifier,
    });
    assert.deepEqual(
      [res.status, res.json().scope, res.json().refresh_token],
      [200, adoScope('vso.code'), undefined],
    );
    const me = await getJson(
      `${ado.url}/_apis/profile/profiles/me?api-version=7.1`,
      String(res.json().access_token),
    );
    assert.equal(me.status, 401);
  });

  test('refuses a wrong secret (401 invalid_client), a wrong verifier, unregistered redirects', async () => {
    const { verifier, challenge } = pkcePair();
    const secret = await tokenCall({
      ...base,
      code: await code(challenge),
      code_verifier: verifier,
      client_secret: 'x',
    });
    assert.deepEqual(
      [secret.status, secret.json().error, secret.json().error_codes],
      [401, 'invalid_client', [7000215]],
    );
    const wrongVerifier = await tokenCall({ ...base, code: await code(challenge), code_verifier: 'nope' });
    assert.deepEqual([wrongVerifier.status, wrongVerifier.json().error], [400, 'invalid_grant']);
    const page = await fetch(authorizeUrl({ redirect_uri: 'http://evil.example/' }), { redirect: 'manual' });
    assert.deepEqual([page.status, page.headers.get('location')], [400, null]);
  });
});

describe('fake-azure-devops: Git REST API 7.1', () => {
  const api = (path: string, query = '') =>
    `${ado.url}/contoso/Web%20Site/_apis/git/repositories/portal${path}?api-version=7.1${query}`;
  const suppress = { 'x-tfs-fedauthredirect': 'Suppress' };
  const sha = async (ref: string) =>
    (await git(['--git-dir', ado.repoPath('contoso/Web Site', 'portal'), 'rev-parse', ref])).stdout.trim();

  test('a private repository: 203 sign-in page or 401 anonymously, 404 for a stranger, 200 for a member', async () => {
    const page = await fetch(api(''));
    assert.deepEqual([page.status, page.headers.get('content-type')], [203, 'text/html; charset=utf-8']);
    const anonymous = await fetch(api(''), { headers: suppress });
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { typeKey: string }).typeKey, 'UnauthorizedRequestException');
    const stranger = await getJson(api(''), ado.issueToken('bob', [adoScope('.default')]));
    assert.deepEqual([stranger.status, stranger.body.typeKey], [404, 'GitRepositoryNotFoundException']);
    assert.equal((await getJson(api(''), ado.issueToken('alice', ['offline_access']))).status, 404);
    assert.equal(
      (
        await getJson(
          `${ado.url}/contoso/Web%20Site/_apis/git/repositories/portal`,
          ado.issueToken('alice', [adoScope('vso.code')]),
        )
      ).status,
      400,
      'api-version is required',
    );

    const res = await getJson(api(''), ado.issueToken('alice', [adoScope('vso.code')]));
    const { id, name, defaultBranch, remoteUrl, webUrl, project } = res.body;
    assert.deepEqual(
      { name, defaultBranch, remoteUrl, webUrl, visibility: (project as { visibility: string }).visibility },
      {
        name: 'portal',
        defaultBranch: 'refs/heads/main',
        remoteUrl: `http://contoso@${ado.host}/contoso/Web%20Site/_git/portal`,
        webUrl: `${ado.url}/contoso/Web%20Site/_git/portal`,
        visibility: 'private',
      },
    );
    const byId = await getJson(
      `${ado.url}/contoso/whatever/_apis/git/repositories/${id}?api-version=7.1`,
      ado.issueToken('alice', [adoScope('vso.code')]),
    );
    assert.equal(byId.body.name, 'portal');
  });

  test('pull requests, commits (full ids only) and refs', async () => {
    const token = ado.issueToken('alice', [adoScope('vso.code')]);
    const get = async (path: string, query = '') => getJson(api(path, query), token);
    const [main, login] = [await sha('main'), await sha('users/alice/login')];
    const pr = (await get('/pullrequests/7')).body;
    assert.deepEqual(
      [
        pr.pullRequestId,
        pr.title,
        pr.sourceRefName,
        pr.targetRefName,
        (pr.lastMergeSourceCommit as { commitId: string }).commitId,
      ],
      [7, 'Login page', 'refs/heads/users/alice/login', 'refs/heads/main', login],
    );
    assert.equal((pr.repository as { name: string }).name, 'portal');
    assert.equal((await get('/pullRequests/7')).status, 200, 'routes ignore case');
    assert.equal((await get('/pullrequests/8')).status, 404);
    const c = (await get(`/commits/${login}`)).body;
    assert.deepEqual([c.commitId, c.comment, c.parents], [login, 'Update users/alice/login', [main]]);
    assert.equal((await get(`/commits/${login.slice(0, 10)}`)).status, 404);
    const heads = (await get('/refs', `&filter=${encodeURIComponent('heads/users/alice/login')}`)).body;
    const [head] = heads.value as { name: string; objectId: string; url: string }[];
    assert.deepEqual([heads.count, head?.name, head?.objectId], [1, 'refs/heads/users/alice/login', login]);
    assert.match(
      head?.url ?? '',
      /\/_apis\/git\/repositories\/[0-9a-f-]{36}\/refs\?filter=heads%2Fusers%2Falice%2Flogin$/,
    );
    const prefix = (await get('/refs', '&filter=heads/users/al')).body;
    assert.equal(prefix.count, 1, 'the filter is a prefix');
    const tags = (await get('/refs', '&filter=tags/v2.0&peelTags=true')).body;
    assert.deepEqual(
      (tags.value as { name: string; objectId: string }[]).map((t) => [t.name, t.objectId]),
      [['refs/tags/v2.0', main]],
    );
    assert.equal((await get('/refs', '&filter=heads/nope')).body.count, 0);
  });

  test('items: a file raw or as JSON at a branch, tag or commit; a folder one level or all the way', async () => {
    const token = ado.issueToken('alice', [adoScope('vso.code')]);
    const main = await sha('main');
    const at = (type: string, version: string) =>
      `&versionDescriptor.version=${encodeURIComponent(version)}&versionDescriptor.versionType=${type}`;
    const raw = await fetch(api('/items', `&path=/docs/setup.md&$format=octetStream${at('tag', 'v2.0')}`), {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.deepEqual([raw.status, await raw.text()], [200, 'setup\n']);
    const json = await getJson(
      api('/items', `&path=/docs/setup.md&$format=json&includeContent=true${at('commit', main)}`),
      token,
    );
    assert.deepEqual(
      [json.body.path, json.body.gitObjectType, json.body.commitId, json.body.content],
      ['/docs/setup.md', 'blob', main, 'setup\n'],
    );
    const missing = await getJson(api('/items', `&path=/login.ts${at('branch', 'main')}`), token);
    assert.deepEqual([missing.status, missing.body.typeKey], [404, 'GitItemNotFoundException']);
    const noBranch = await getJson(api('/items', `&path=/README.md${at('branch', 'nope')}`), token);
    assert.deepEqual([noBranch.status, noBranch.body.typeKey], [404, 'GitUnresolvableToCommitException']);
    const short = await getJson(api('/items', `&path=/README.md${at('commit', main.slice(0, 8))}`), token);
    assert.equal(short.status, 404);

    const folder = await getJson(
      api('/items', `&scopePath=/docs&recursionLevel=OneLevel${at('branch', 'main')}`),
      token,
    );
    const list = (folder.body.value as { path: string; isFolder?: boolean }[]).map((e) => [
      e.path,
      e.isFolder ?? false,
    ]);
    assert.deepEqual(list, [
      ['/docs', true],
      ['/docs/deep', true],
      ['/docs/setup.md', false],
    ]);
    const full = await getJson(api('/items', `&scopePath=/&recursionLevel=Full`), token);
    assert.ok((full.body.value as { path: string }[]).some((e) => e.path === '/docs/deep/x.md'));
  });
});

describe('fake-azure-devops: git over HTTP', () => {
  const cloneUrl = () => `${ado.url}/contoso/Web%20Site/_git/portal`;

  test('clone with any user name and the token as password, refusal without, a recorded push', async () => {
    const helper = `credential.helper=${credentialHelper('atelier', ado.issueToken('alice', [adoScope('vso.code_write')]))}`;
    const dest = join(work, 'clone');
    const clone = await git(['-c', helper, 'clone', '-q', cloneUrl(), dest]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(readFileSync(join(dest, 'README.md'), 'utf8'), '# portal\n');
    const denied = await git(['-c', 'credential.helper=', 'clone', '-q', cloneUrl(), join(work, 'denied')]);
    assert.notEqual(denied.code, 0);

    writeFileSync(join(dest, 'NEW.md'), 'new\n');
    await git(['add', '-A'], dest);
    await git(['commit', '-q', '-m', 'From a workspace'], dest);
    const newSha = (await git(['rev-parse', 'HEAD'], dest)).stdout.trim();
    const push = await git(['-c', helper, 'push', '-q', 'origin', 'HEAD:main'], dest);
    assert.equal(push.code, 0, push.stderr);
    const event = ado.log.find((e) => e.kind === 'push' && e.ref === 'refs/heads/main');
    assert.equal(event?.kind === 'push' && event.after, newSha);

    const readOnly = `credential.helper=${credentialHelper('atelier', ado.issueToken('alice', [adoScope('vso.code')]))}`;
    assert.notEqual(
      (await git(['-c', readOnly, 'push', '-q', cloneUrl(), 'HEAD:refs/heads/nope'], dest)).code,
      0,
    );
  });
});
