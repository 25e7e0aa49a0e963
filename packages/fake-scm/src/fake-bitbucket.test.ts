// fake-bitbucket against real clients: OAuth with client Basic auth and PKCE, /2.0 fields, git clone and push.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeBitbucket } from './fake-bitbucket.js';
import type { FakeScm, FakeScmSpec } from './repos.js';
import { credentialHelper, getJson, git, pkcePair, postForm, signIn } from './test-client.js';

const REDIRECT = 'http://127.0.0.1:9/auth/bitbucket/callback';
const spec: FakeScmSpec = {
  users: [
    { login: 'carol', id: 21, name: 'Carol C', email: 'carol@example.com' },
    { login: 'dave', id: 22, name: 'Dave D', email: 'dave@example.com' },
  ],
  apps: [{ clientId: 'atelier-bb', clientSecret: 'bb-secret', redirectUris: [REDIRECT] }],
  repos: [
    {
      owner: 'team',
      name: 'web',
      private: true,
      branches: { main: { 'index.html': '<h1>hi</h1>\n' }, fix: { 'src/fix.js': 'y\n' } },
      tags: { 'release-1': 'main' },
      pulls: [{ number: 4, title: 'Fix it', head: 'fix', base: 'main', author: 'carol' }],
      issues: [{ number: 9, title: 'Broken header', author: 'carol' }],
      collaborators: ['carol'],
    },
  ],
  tokenLifetimeSeconds: 7200,
};

let bb: FakeScm;
const work = mkdtempSync(join(tmpdir(), 'fake-bitbucket-test-'));
before(async () => {
  bb = await startFakeBitbucket(spec);
});
after(async () => {
  await bb.close();
  rmSync(work, { recursive: true, force: true });
});

const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});
const tokenCall = (fields: Record<string, string>, secret = 'bb-secret') =>
  postForm(`${bb.url}/site/oauth2/access_token`, fields, basic('atelier-bb', secret));

async function code(challenge: string): Promise<string> {
  const params = {
    client_id: 'atelier-bb',
    response_type: 'code',
    redirect_uri: REDIRECT,
    state: 'q',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  const answer = await signIn(`${bb.url}/site/oauth2/authorize?${new URLSearchParams(params)}`, {
    login: 'carol',
  });
  assert.match(answer.page, /fake-bitbucket: sign in to authorize atelier-bb/);
  assert.equal(answer.status, 302);
  return new URL(answer.location ?? '').searchParams.get('code') ?? '';
}

describe('fake-bitbucket OAuth', () => {
  test('code flow with PKCE and client Basic auth, expiring token, refresh, refusals', async () => {
    const { verifier, challenge } = pkcePair();
    const fields = {
      grant_type: 'authorization_code',
      code: await code(challenge),
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    };
    const res = await tokenCall(fields);
    assert.equal(res.status, 200);
    const body = res.json();
    assert.deepEqual(
      [body.token_type, body.expires_in, typeof body.refresh_token],
      ['bearer', 7200, 'string'],
    );
    assert.equal(body.scopes, 'account email repository repository:write pullrequest issue');
    assert.equal((await getJson(`${bb.url}/2.0/user`, String(body.access_token))).body.username, 'carol');
    assert.deepEqual(
      [(await tokenCall(fields)).status, (await tokenCall(fields)).json().error],
      [400, 'invalid_grant'],
    );
    const refreshed = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
    });
    assert.equal(refreshed.status, 200);

    const wrongSecret = await tokenCall({ ...fields, code: await code(challenge) }, 'nope');
    assert.deepEqual([wrongSecret.status, wrongSecret.json().error], [400, 'invalid_client']);
    const wrongVerifier = await tokenCall({ ...fields, code: await code(challenge), code_verifier: 'x' });
    assert.deepEqual([wrongVerifier.status, wrongVerifier.json().error], [400, 'invalid_grant']);
    const unregistered = `${bb.url}/site/oauth2/authorize?client_id=atelier-bb&redirect_uri=${encodeURIComponent('http://evil.example/')}`;
    const page = await fetch(unregistered, { redirect: 'manual' });
    assert.deepEqual([page.status, page.headers.get('location')], [400, null]);
  });
});

describe('fake-bitbucket REST', () => {
  const api = (path: string) => `${bb.url}/2.0/repositories/team/web${path}`;

  test('user, emails, a private repository 404 without token and 200 with, PRs, issues, commits, refs, src', async () => {
    const token = bb.issueToken('carol', ['account', 'email', 'repository']);
    const emails = await getJson(`${bb.url}/2.0/user/emails`, token);
    assert.deepEqual((emails.body.values as unknown[])[0], {
      type: 'email',
      email: 'carol@example.com',
      is_primary: true,
      is_confirmed: true,
    });
    assert.equal((await getJson(api(''))).status, 404);
    assert.equal((await getJson(api(''), bb.issueToken('dave', ['repository']))).status, 404);
    assert.equal((await getJson(api(''), bb.issueToken('carol', ['account']))).status, 404);
    const repo = (await getJson(api(''), token)).body;
    assert.deepEqual(
      [repo.full_name, repo.is_private, repo.mainbranch, (repo.links as { clone: unknown[] }).clone],
      [
        'team/web',
        true,
        { type: 'branch', name: 'main' },
        [{ name: 'https', href: `${bb.url}/team/web.git` }],
      ],
    );
    const sha = async (ref: string) =>
      (await git(['--git-dir', bb.repoPath('team', 'web'), 'rev-parse', ref])).stdout.trim();
    const [main, fix] = [await sha('main'), await sha('fix')];
    const pr = (await getJson(api('/pullrequests/4'), token)).body;
    assert.deepEqual([pr.id, pr.title], [4, 'Fix it']);
    assert.deepEqual(pr.source, {
      branch: { name: 'fix' },
      commit: { type: 'commit', hash: fix },
      repository: { type: 'repository', full_name: 'team/web', name: 'web', uuid: repo.uuid as string },
    });
    assert.equal((pr.destination as { commit: { hash: string } }).commit.hash, main);
    assert.equal((await getJson(api('/issues/9'), token)).body.title, 'Broken header');
    assert.equal((await getJson(api(`/commit/${fix}`), token)).body.message, 'Update fix');
    assert.equal(
      ((await getJson(api('/refs/branches/fix'), token)).body.target as { hash: string }).hash,
      fix,
    );
    assert.equal(
      ((await getJson(api('/refs/tags/release-1'), token)).body.target as { hash: string }).hash,
      main,
    );
    assert.equal((await getJson(api('/refs/branches/none'), token)).status, 404);
    assert.equal((await getJson(api(`/src/${fix}/src/fix.js`), token)).body.raw, 'y\n');
    assert.equal((await getJson(api('/src/main/src/fix.js'), token)).status, 404);
  });
});

describe('fake-bitbucket git over HTTP', () => {
  test('clone with x-token-auth, refusal without, a recorded push', async () => {
    const url = `${bb.url}/team/web.git`;
    const helper = `credential.helper=${credentialHelper('x-token-auth', bb.issueToken('carol', ['repository:write']))}`;
    const dest = join(work, 'clone');
    const clone = await git(['-c', helper, 'clone', '-q', url, dest]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(readFileSync(join(dest, 'index.html'), 'utf8'), '<h1>hi</h1>\n');
    assert.notEqual(
      (await git(['-c', 'credential.helper=', 'clone', '-q', url, join(work, 'denied')])).code,
      0,
    );
    writeFileSync(join(dest, 'more.txt'), 'more\n');
    await git(['add', '-A'], dest);
    await git(['commit', '-q', '-m', 'More'], dest);
    const push = await git(['-c', helper, 'push', '-q', 'origin', 'HEAD:refs/heads/more'], dest);
    assert.equal(push.code, 0, push.stderr);
    const newSha = (await git(['rev-parse', 'HEAD'], dest)).stdout.trim();
    assert.ok(
      bb.log.some(
        (e) => e.kind === 'push' && e.ref === 'refs/heads/more' && e.after === newSha && e.login === 'carol',
      ),
    );
    const logged = await git(['--git-dir', bb.repoPath('team', 'web'), 'rev-parse', 'more']);
    assert.equal(logged.stdout.trim(), newSha);
    const readOnly = `credential.helper=${credentialHelper('x-token-auth', bb.issueToken('carol', ['repository']))}`;
    assert.notEqual((await git(['-c', readOnly, 'push', '-q', url, 'HEAD:refs/heads/ro'], dest)).code, 0);
  });
});
