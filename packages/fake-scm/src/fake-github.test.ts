// fake-github against real clients: the OAuth code flow with PKCE, REST fields, git clone and push over HTTP.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeGitHub } from './fake-github.js';
import type { FakeScm, FakeScmSpec } from './repos.js';
import { credentialHelper, getJson, git, pkcePair, postForm, signIn } from './test-client.js';

const REDIRECT = 'http://127.0.0.1:9/auth/github/callback';
const spec: FakeScmSpec = {
  users: [
    { login: 'alice', id: 1, name: 'Alice A', email: 'alice@example.com', password: 'wonderland' },
    { login: 'bob', id: 2, name: 'Bob B', email: 'bob@example.com' },
    { login: 'mallory', id: 3, name: 'Mallory M', email: 'mallory@example.com' },
  ],
  apps: [{ clientId: 'atelier-gh', clientSecret: 'gh-secret', redirectUris: [REDIRECT] }],
  repos: [
    {
      owner: 'alice',
      name: 'secret-app',
      private: true,
      branches: {
        main: { 'README.md': '# secret\n', '.gitpod.yml': 'tasks: []\n' },
        feature: { 'src/app.ts': 'x\n' },
      },
      tags: { 'v1.0': 'main' },
      pulls: [{ number: 1, title: 'Add app', head: 'feature', base: 'main', author: 'bob' }],
      issues: [{ number: 2, title: 'Fix the login page', author: 'alice' }],
      collaborators: ['bob'],
    },
    { owner: 'acme', name: 'open-tool', private: false, branches: { main: { LICENSE: 'MIT\n' } } },
  ],
};

let gh: FakeScm;
const work = mkdtempSync(join(tmpdir(), 'fake-github-test-'));
before(async () => {
  gh = await startFakeGitHub(spec);
});
after(async () => {
  await gh.close();
  rmSync(work, { recursive: true, force: true });
});

function authorizeUrl(params: Record<string, string>): string {
  return `${gh.url}/login/oauth/authorize?${new URLSearchParams({ client_id: 'atelier-gh', redirect_uri: REDIRECT, ...params })}`;
}

async function codeFor(
  login: string,
  password: string | undefined,
  challenge: string,
  scope = 'repo user:email',
) {
  const url = authorizeUrl({
    scope,
    state: 's/1 2',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const answer = await signIn(url, { login, ...(password && { password }) });
  assert.equal(answer.status, 302);
  const location = new URL(answer.location ?? '');
  return { page: answer.page, location, code: location.searchParams.get('code') ?? '' };
}

const exchange = (fields: Record<string, string>, json = true) =>
  postForm(`${gh.url}/login/oauth/access_token`, fields, json ? { accept: 'application/json' } : {});

describe('fake-github OAuth', () => {
  test('code flow with PKCE: sign-in page, redirect with code and state, token that works on /user', async () => {
    const { verifier, challenge } = pkcePair();
    const { page, location, code } = await codeFor('alice', 'wonderland', challenge);
    assert.match(page, /fake-github: sign in to authorize atelier-gh/);
    assert.match(page, /<button type="submit">Authorize<\/button>/);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    assert.equal(location.searchParams.get('state'), 's/1 2');
    const fields = {
      client_id: 'atelier-gh',
      client_secret: 'gh-secret',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    };
    const res = await exchange(fields);
    const body = res.json();
    assert.equal(res.status, 200);
    assert.match(String(body.access_token), /^gho_/);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.scope, 'repo,user:email');
    assert.equal(body.refresh_token, undefined, 'OAuth app tokens do not expire');
    const user = await getJson(`${gh.url}/api/v3/user`, String(body.access_token));
    assert.equal(user.body.login, 'alice');
    assert.equal(user.headers.get('x-oauth-scopes'), 'repo, user:email');
    assert.ok(
      gh.log.some((e) => e.kind === 'token' && e.login === 'alice' && e.grantType === 'authorization_code'),
    );

    const reused = await exchange(fields);
    assert.equal(reused.status, 200);
    assert.equal(reused.json().error, 'bad_verification_code');
  });

  test('refuses a wrong secret, a wrong verifier, another redirect_uri; answers form-encoded by default', async () => {
    const { verifier, challenge } = pkcePair();
    const base = { client_id: 'atelier-gh', client_secret: 'gh-secret', redirect_uri: REDIRECT };
    const c1 = await codeFor('bob', undefined, challenge);
    assert.equal(
      (await exchange({ ...base, code: c1.code, client_secret: 'nope', code_verifier: verifier })).json()
        .error,
      'incorrect_client_credentials',
    );
    const c2 = await codeFor('bob', undefined, challenge);
    assert.equal(
      (await exchange({ ...base, code: c2.code, code_verifier: 'wrong' })).json().error,
      'bad_verification_code',
    );
    const c3 = await codeFor('bob', undefined, challenge);
    const other = {
      ...base,
      code: c3.code,
      code_verifier: verifier,
      redirect_uri: 'http://127.0.0.1:9/elsewhere',
    };
    assert.equal((await exchange(other)).json().error, 'redirect_uri_mismatch');
    const c4 = await codeFor('bob', undefined, challenge);
    const form = await exchange({ ...base, code: c4.code, code_verifier: verifier }, false);
    const parsed = new URLSearchParams(form.text);
    assert.match(parsed.get('access_token') ?? '', /^gho_/);
    assert.equal(parsed.get('token_type'), 'bearer');
  });

  test('never redirects to an unregistered redirect_uri or for an unknown client; wrong password stays on the page', async () => {
    const bad = await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/cb' }), {
      redirect: 'manual',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('location'), null);
    assert.match(await bad.text(), /not registered/);
    const unknown = await fetch(authorizeUrl({ client_id: 'who' }), { redirect: 'manual' });
    assert.equal(unknown.status, 400);
    const wrong = await signIn(authorizeUrl({ state: 'x' }), { login: 'alice', password: 'guess' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.location, null);
    const denied = await signIn(authorizeUrl({ state: 'x' }), { login: 'bob', deny: '1' });
    assert.equal(new URL(denied.location ?? '').searchParams.get('error'), 'access_denied');
  });

  test('with tokenLifetimeSeconds: expires_in and a refresh token that rotates', async () => {
    const expiring = await startFakeGitHub({ ...spec, repos: [], tokenLifetimeSeconds: 3600 }, { dir: work });
    try {
      const url = `${expiring.url}/login/oauth/authorize?${new URLSearchParams({ client_id: 'atelier-gh', scope: 'repo' })}`;
      const answer = await signIn(url, { login: 'bob' });
      const code = new URL(answer.location ?? '').searchParams.get('code') ?? '';
      const tokenUrl = `${expiring.url}/login/oauth/access_token`;
      const creds = { client_id: 'atelier-gh', client_secret: 'gh-secret' };
      const first = (await postForm(tokenUrl, { ...creds, code }, { accept: 'application/json' })).json();
      assert.equal(first.expires_in, 3600);
      const refresh = { ...creds, grant_type: 'refresh_token', refresh_token: String(first.refresh_token) };
      const second = (await postForm(tokenUrl, refresh, { accept: 'application/json' })).json();
      assert.match(String(second.access_token), /^gho_/);
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.equal(
        (await postForm(tokenUrl, refresh, { accept: 'application/json' })).json().error,
        'bad_refresh_token',
      );
    } finally {
      await expiring.close();
    }
  });
});

describe('fake-github REST', () => {
  const api = (path: string) => `${gh.url}/api/v3${path}`;

  test('user, emails (with user:email), and refusals of bad tokens', async () => {
    const token = gh.issueToken('alice', ['repo', 'user:email']);
    const user = await getJson(api('/user'), token);
    assert.deepEqual(
      [user.body.login, user.body.id, user.body.name, user.body.email, typeof user.body.avatar_url],
      ['alice', 1, 'Alice A', 'alice@example.com', 'string'],
    );
    const emails = await getJson(api('/user/emails'), token);
    assert.deepEqual(emails.body[0], {
      email: 'alice@example.com',
      primary: true,
      verified: true,
      visibility: 'public',
    });
    assert.equal((await getJson(api('/user/emails'), gh.issueToken('alice', ['repo']))).status, 404);
    const badToken = await getJson(api('/user'), 'gho_nope');
    assert.deepEqual([badToken.status, badToken.body.message], [401, 'Bad credentials']);
  });

  test('a private repository is 404 without token, to strangers and without the repo scope; 200 to collaborators', async () => {
    assert.equal((await getJson(api('/repos/alice/secret-app'))).status, 404);
    assert.equal(
      (await getJson(api('/repos/alice/secret-app'), gh.issueToken('mallory', ['repo']))).status,
      404,
    );
    assert.equal(
      (await getJson(api('/repos/alice/secret-app'), gh.issueToken('bob', ['public_repo']))).status,
      404,
    );
    const repo = await getJson(api('/repos/alice/secret-app'), gh.issueToken('bob', ['repo']));
    assert.equal(repo.status, 200);
    const { id, name, full_name, private: priv, default_branch, clone_url, html_url, owner } = repo.body;
    assert.deepEqual(
      {
        id: typeof id,
        name,
        full_name,
        priv,
        default_branch,
        clone_url,
        html_url,
        owner: (owner as { login: string }).login,
      },
      {
        id: 'number',
        name: 'secret-app',
        full_name: 'alice/secret-app',
        priv: true,
        default_branch: 'main',
        clone_url: `${gh.url}/alice/secret-app.git`,
        html_url: `${gh.url}/alice/secret-app`,
        owner: 'alice',
      },
    );
    assert.equal((await getJson(api('/repos/acme/open-tool'))).body.private, false);
  });

  test('pulls, issues, commits, branches, refs and contents carry the real shas and content', async () => {
    const token = gh.issueToken('alice', ['repo']);
    const repoPath = gh.repoPath('alice', 'secret-app');
    const sha = async (ref: string) => (await git(['--git-dir', repoPath, 'rev-parse', ref])).stdout.trim();
    const [mainSha, featureSha] = [await sha('main'), await sha('feature')];
    const get = async (path: string) => (await getJson(api(`/repos/alice/secret-app${path}`), token)).body;

    const pull = await get('/pulls/1');
    assert.deepEqual([pull.number, pull.title, pull.state], [1, 'Add app', 'open']);
    const head = pull.head as { ref: string; sha: string; repo: { full_name: string; clone_url: string } };
    const base = pull.base as { ref: string; sha: string };
    assert.deepEqual([head.ref, head.sha, head.repo.full_name], ['feature', featureSha, 'alice/secret-app']);
    assert.equal(head.repo.clone_url, `${gh.url}/alice/secret-app.git`);
    assert.deepEqual([base.ref, base.sha], ['main', mainSha]);
    const issue = await get('/issues/2');
    assert.deepEqual(
      [issue.number, issue.title, issue.state, (issue.user as { login: string }).login],
      [2, 'Fix the login page', 'open', 'alice'],
    );
    const commit = await get('/commits/feature');
    assert.deepEqual(
      [commit.sha, (commit.commit as { message: string }).message],
      [featureSha, 'Update feature'],
    );
    assert.equal((await get(`/commits/${mainSha.slice(0, 8)}`)).sha, mainSha);
    assert.equal((await getJson(api('/repos/alice/secret-app/commits/nope'), token)).status, 422);
    const branch = await get('/branches/feature');
    assert.deepEqual([branch.name, (branch.commit as { sha: string }).sha], ['feature', featureSha]);
    assert.equal((await getJson(api('/repos/alice/secret-app/branches/gone'), token)).status, 404);
    assert.deepEqual((await get('/git/ref/heads/feature')).object, {
      sha: featureSha,
      type: 'commit',
      url: `${gh.url}/api/v3/repos/alice/secret-app/git/commits/${featureSha}`,
    });
    assert.equal(((await get('/git/ref/tags/v1.0')).object as { sha: string }).sha, mainSha);
    const matching = (await getJson(api('/repos/alice/secret-app/git/matching-refs/heads/fea'), token)).body;
    assert.deepEqual(
      Object.values(matching).map((r) => (r as { ref: string }).ref),
      ['refs/heads/feature'],
    );
    const file = await get('/contents/.gitpod.yml?ref=main');
    assert.deepEqual([file.type, file.encoding, file.path], ['file', 'base64', '.gitpod.yml']);
    assert.equal(Buffer.from(String(file.content), 'base64').toString(), 'tasks: []\n');
    assert.equal(
      (await getJson(api('/repos/alice/secret-app/contents/src/app.ts?ref=main'), token)).status,
      404,
    );
    assert.equal((await get('/contents/src/app.ts?ref=feature')).size, 2);
  });
});

describe('fake-github git over HTTP', () => {
  const cloneUrl = () => `${gh.url}/alice/secret-app.git`;

  test('clones a private repository with a token from the credential helper, and refuses without', async () => {
    const token = gh.issueToken('bob', ['repo']);
    const dest = join(work, 'clone-ok');
    const ok = await git([
      '-c',
      `credential.helper=${credentialHelper('x-access-token', token)}`,
      'clone',
      '-q',
      cloneUrl(),
      dest,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(join(dest, 'README.md'), 'utf8'), '# secret\n');
    const denied = await git([
      '-c',
      'credential.helper=',
      'clone',
      '-q',
      cloneUrl(),
      join(work, 'clone-denied'),
    ]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /could not read Username|Authentication failed|401/);
    const stranger = gh.issueToken('mallory', ['repo']);
    const helper = `credential.helper=${credentialHelper('x-access-token', stranger)}`;
    const notFound = await git(['-c', helper, 'clone', '-q', cloneUrl(), join(work, 'clone-stranger')]);
    assert.notEqual(notFound.code, 0);
    const anon = await git(['clone', '-q', `${gh.url}/acme/open-tool.git`, join(work, 'public')]);
    assert.equal(anon.code, 0, anon.stderr);
  });

  test('a push with a collaborator token is recorded in the log and lands in the bare repository', async () => {
    const token = gh.issueToken('bob', ['repo']);
    const helper = `credential.helper=${credentialHelper('x-access-token', token)}`;
    const dest = join(work, 'clone-push');
    assert.equal((await git(['-c', helper, 'clone', '-q', cloneUrl(), dest])).code, 0);
    writeFileSync(join(dest, 'CHANGELOG.md'), 'pushed\n');
    await git(['add', '-A'], dest);
    await git(['commit', '-q', '-m', 'Push from a workspace'], dest);
    const newSha = (await git(['rev-parse', 'HEAD'], dest)).stdout.trim();
    const push = await git(['-c', helper, 'push', '-q', 'origin', 'HEAD:refs/heads/from-workspace'], dest);
    assert.equal(push.code, 0, push.stderr);
    const event = gh.log.find((e) => e.kind === 'push' && e.ref === 'refs/heads/from-workspace');
    assert.deepEqual(event, {
      kind: 'push',
      repo: 'alice/secret-app',
      ref: 'refs/heads/from-workspace',
      before: '0'.repeat(40),
      after: newSha,
      login: 'bob',
    });
    const logged = await git([
      '--git-dir',
      gh.repoPath('alice', 'secret-app'),
      'log',
      '-1',
      '--format=%H %s',
      'from-workspace',
    ]);
    assert.equal(logged.stdout.trim(), `${newSha} Push from a workspace`);

    const readOnly = `credential.helper=${credentialHelper('x', gh.issueToken('bob', ['read:user']))}`;
    const refused = await git(['-c', readOnly, 'push', '-q', cloneUrl(), 'HEAD:refs/heads/refused'], dest);
    assert.notEqual(refused.code, 0);
    assert.equal(gh.log.filter((e) => e.kind === 'push' && e.ref === 'refs/heads/refused').length, 0);
  });
});
