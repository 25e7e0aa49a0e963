// fake-gitlab against real clients: OAuth with PKCE, /api/v4 fields for nested groups, git clone and push over HTTP.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeGitLab } from './fake-gitlab.js';
import type { FakeScm, FakeScmSpec } from './repos.js';
import { credentialHelper, getJson, git, pkcePair, postForm, signIn } from './test-client.js';

const REDIRECT = 'http://127.0.0.1:9/auth/gitlab/callback';
const spec: FakeScmSpec = {
  users: [
    { login: 'alice', id: 11, name: 'Alice A', email: 'alice@example.com' },
    { login: 'bob', id: 12, name: 'Bob B', email: 'bob@example.com' },
  ],
  apps: [{ clientId: 'atelier-gl', clientSecret: 'gl-secret', redirectUris: [REDIRECT] }],
  repos: [
    {
      owner: 'acme/platform',
      name: 'api-server',
      private: true,
      defaultBranch: 'trunk',
      branches: {
        trunk: { 'README.md': '# api\n', 'docs/setup.md': 'setup\n' },
        'feat/login': { 'login.ts': 'x\n' },
      },
      tags: { 'v2.0': 'trunk' },
      pulls: [{ number: 7, title: 'Login page', head: 'feat/login', base: 'trunk', author: 'bob' }],
      issues: [{ number: 3, title: 'Crash on start', author: 'alice' }],
      collaborators: ['alice'],
    },
  ],
};

let gl: FakeScm;
const work = mkdtempSync(join(tmpdir(), 'fake-gitlab-test-'));
before(async () => {
  gl = await startFakeGitLab(spec);
});
after(async () => {
  await gl.close();
  rmSync(work, { recursive: true, force: true });
});

const authorizeUrl = (params: Record<string, string>) =>
  `${gl.url}/oauth/authorize?${new URLSearchParams({ client_id: 'atelier-gl', redirect_uri: REDIRECT, response_type: 'code', ...params })}`;

async function code(challenge: string): Promise<string> {
  const url = authorizeUrl({
    scope: 'read_user api',
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const answer = await signIn(url, { login: 'alice' });
  assert.equal(answer.status, 302);
  assert.match(answer.page, /fake-gitlab: sign in to authorize atelier-gl/);
  const location = new URL(answer.location ?? '');
  assert.equal(location.searchParams.get('state'), 'st');
  return location.searchParams.get('code') ?? '';
}

const tokenCall = (fields: Record<string, string>) => postForm(`${gl.url}/oauth/token`, fields);
const base = {
  client_id: 'atelier-gl',
  client_secret: 'gl-secret',
  grant_type: 'authorization_code',
  redirect_uri: REDIRECT,
};

describe('fake-gitlab OAuth', () => {
  test('code flow with PKCE, then refresh; a reused code is invalid_grant', async () => {
    const { verifier, challenge } = pkcePair();
    const fields = { ...base, code: await code(challenge), code_verifier: verifier };
    const res = await tokenCall(fields);
    assert.equal(res.status, 200);
    const body = res.json();
    assert.deepEqual(
      [body.token_type, body.scope, typeof body.refresh_token],
      ['Bearer', 'read_user api', 'string'],
    );
    const user = await getJson(`${gl.url}/api/v4/user`, String(body.access_token));
    assert.deepEqual([user.body.username, user.body.id, user.body.email], ['alice', 11, 'alice@example.com']);
    const reused = await tokenCall(fields);
    assert.deepEqual([reused.status, reused.json().error], [400, 'invalid_grant']);
    const refresh = { client_id: 'atelier-gl', client_secret: 'gl-secret', grant_type: 'refresh_token' };
    const refreshed = await tokenCall({ ...refresh, refresh_token: String(body.refresh_token) });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.json().access_token, body.access_token);
    assert.ok(
      gl.log.some((e) => e.kind === 'token' && e.grantType === 'refresh_token' && e.login === 'alice'),
    );
  });

  test('refuses a wrong secret (401 invalid_client), a wrong verifier, another redirect_uri, unregistered redirects', async () => {
    const { verifier, challenge } = pkcePair();
    const secret = await tokenCall({
      ...base,
      code: await code(challenge),
      code_verifier: verifier,
      client_secret: 'x',
    });
    assert.deepEqual([secret.status, secret.json().error], [401, 'invalid_client']);
    const wrongVerifier = await tokenCall({ ...base, code: await code(challenge), code_verifier: 'nope' });
    assert.deepEqual([wrongVerifier.status, wrongVerifier.json().error], [400, 'invalid_grant']);
    const noVerifier = await tokenCall({ ...base, code: await code(challenge) });
    assert.equal(noVerifier.status, 400);
    const elsewhere = {
      ...base,
      code: await code(challenge),
      code_verifier: verifier,
      redirect_uri: `${REDIRECT}x`,
    };
    assert.deepEqual([(await tokenCall(elsewhere)).status], [400]);
    const page = await fetch(authorizeUrl({ redirect_uri: 'http://evil.example/' }), { redirect: 'manual' });
    assert.deepEqual([page.status, page.headers.get('location')], [400, null]);
  });
});

describe('fake-gitlab REST', () => {
  const project = `${encodeURIComponent('acme/platform/api-server')}`;
  const api = (path: string) => `${gl.url}/api/v4/projects/${project}${path}`;

  test('a private project is 404 without token or without a repository scope, 200 for a member', async () => {
    assert.deepEqual((await getJson(api(''))).body, { message: '404 Project Not Found' });
    assert.equal((await getJson(api(''), gl.issueToken('alice', ['read_user']))).status, 404);
    assert.equal((await getJson(api(''), gl.issueToken('bob', ['api']))).status, 404);
    assert.equal((await getJson(api(''), 'glpat-unknown')).status, 401);
    const res = await getJson(api(''), gl.issueToken('alice', ['read_api']));
    const { id, path_with_namespace, default_branch, visibility, http_url_to_repo, web_url } = res.body;
    assert.deepEqual(
      { path_with_namespace, default_branch, visibility, http_url_to_repo, web_url },
      {
        path_with_namespace: 'acme/platform/api-server',
        default_branch: 'trunk',
        visibility: 'private',
        http_url_to_repo: `${gl.url}/acme/platform/api-server.git`,
        web_url: `${gl.url}/acme/platform/api-server`,
      },
    );
    const byId = await getJson(`${gl.url}/api/v4/projects/${id}`, gl.issueToken('alice', ['read_api']));
    assert.equal(byId.body.path_with_namespace, 'acme/platform/api-server');
  });

  test('merge requests, issues, commits, branches, tags and raw files', async () => {
    const token = gl.issueToken('alice', ['read_api']);
    const get = async (path: string) => (await getJson(api(path), token)).body;
    const repoPath = gl.repoPath('acme/platform', 'api-server');
    const sha = async (ref: string) => (await git(['--git-dir', repoPath, 'rev-parse', ref])).stdout.trim();
    const [trunk, feat] = [await sha('trunk'), await sha('feat/login')];
    const mr = await get('/merge_requests/7');
    assert.deepEqual(
      [
        mr.iid,
        mr.title,
        mr.source_branch,
        mr.target_branch,
        mr.sha,
        mr.source_project_id === mr.target_project_id,
      ],
      [7, 'Login page', 'feat/login', 'trunk', feat, true],
    );
    const issue = await get('/issues/3');
    assert.deepEqual(
      [issue.iid, issue.title, (issue.author as { username: string }).username],
      [3, 'Crash on start', 'alice'],
    );
    assert.deepEqual([(await get(`/repository/commits/${feat}`)).title], ['Update feat/login']);
    assert.equal((await get('/repository/commits/trunk')).id, trunk);
    const branch = await get(`/repository/branches/${encodeURIComponent('feat/login')}`);
    assert.deepEqual([branch.name, (branch.commit as { id: string }).id], ['feat/login', feat]);
    assert.equal((await get('/repository/tags/v2.0')).target, trunk);
    assert.deepEqual(await get('/repository/tags/v9'), { message: '404 Tag Not Found' });
    const raw = await fetch(api(`/repository/files/${encodeURIComponent('docs/setup.md')}/raw?ref=trunk`), {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.deepEqual([raw.status, await raw.text()], [200, 'setup\n']);
    assert.equal((await getJson(api('/repository/files/login.ts/raw?ref=trunk'), token)).status, 404);
  });
});

describe('fake-gitlab git over HTTP', () => {
  const cloneUrl = () => `${gl.url}/acme/platform/api-server.git`;

  test('clone with oauth2:<token>, refusal without, and a recorded push', async () => {
    const helper = `credential.helper=${credentialHelper('oauth2', gl.issueToken('alice', ['write_repository']))}`;
    const dest = join(work, 'clone');
    const clone = await git(['-c', helper, 'clone', '-q', cloneUrl(), dest]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(readFileSync(join(dest, 'README.md'), 'utf8'), '# api\n');
    const denied = await git(['-c', 'credential.helper=', 'clone', '-q', cloneUrl(), join(work, 'denied')]);
    assert.notEqual(denied.code, 0);

    writeFileSync(join(dest, 'NEW.md'), 'new\n');
    await git(['add', '-A'], dest);
    await git(['commit', '-q', '-m', 'From a workspace'], dest);
    const newSha = (await git(['rev-parse', 'HEAD'], dest)).stdout.trim();
    const push = await git(['-c', helper, 'push', '-q', 'origin', 'HEAD:trunk'], dest);
    assert.equal(push.code, 0, push.stderr);
    const event = gl.log.find((e) => e.kind === 'push' && e.ref === 'refs/heads/trunk');
    assert.equal(event?.kind === 'push' && event.after, newSha);
    const logged = await git([
      '--git-dir',
      gl.repoPath('acme/platform', 'api-server'),
      'log',
      '-1',
      '--format=%s',
      'trunk',
    ]);
    assert.equal(logged.stdout.trim(), 'From a workspace');

    const readOnly = `credential.helper=${credentialHelper('oauth2', gl.issueToken('alice', ['read_repository']))}`;
    assert.notEqual(
      (await git(['-c', readOnly, 'push', '-q', cloneUrl(), 'HEAD:refs/heads/nope'], dest)).code,
      0,
    );
  });
});
