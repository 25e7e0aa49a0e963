// fake-bitbucket-server against real clients: the OAuth 2.0 code flow of an incoming application link
// (PKCE, client id and secret as parameters, refresh), whoami and users, REST 1.0 fields of project
// and personal repositories, pull requests, commits, refs and files, git clone and push at /scm/.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeBitbucketServer } from './fake-bitbucket-server.js';
import type { FakeScm, FakeScmSpec } from './repos.js';
import { credentialHelper, getJson, git, pkcePair, postForm, signIn } from './test-client.js';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';
const spec: FakeScmSpec = {
  users: [
    { login: 'alice', id: 11, name: 'Alice A', email: 'alice@corp.example' },
    { login: 'bob', id: 12, name: 'Bob B', email: 'bob@corp.example' },
    { login: 'Carol@Corp', id: 13, name: 'Carol C', email: 'carol@corp.example' },
  ],
  apps: [{ clientId: 'atelier-bbs', clientSecret: 'bbs-secret', redirectUris: [REDIRECT] }],
  repos: [
    {
      owner: 'PROJ',
      name: 'portal',
      private: true,
      branches: {
        main: { 'README.md': '# portal\nline 2\n', 'docs/setup.md': 'setup\n', 'docs/deep/x.md': 'x\n' },
        'feature/login': { 'login.ts': 'x\n' },
        'feature/login-2': { 'other.ts': 'y\n' },
      },
      tags: { 'v2.0': 'main' },
      pulls: [{ number: 7, title: 'Login page', head: 'feature/login', base: 'main', author: 'bob' }],
      collaborators: ['alice'],
    },
    { owner: '~bob', name: 'notes', private: true, branches: { main: { 'todo.txt': 'a\n' } } },
  ],
};

let bbs: FakeScm;
const work = mkdtempSync(join(tmpdir(), 'fake-bitbucket-server-test-'));
before(async () => {
  bbs = await startFakeBitbucketServer(spec);
});
after(async () => {
  await bbs.close();
  rmSync(work, { recursive: true, force: true });
});

const client = { client_id: 'atelier-bbs', client_secret: 'bbs-secret', redirect_uri: REDIRECT };

async function code(challenge: string, scope = 'PUBLIC_REPOS REPO_READ'): Promise<string> {
  const params = {
    client_id: 'atelier-bbs',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope,
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  const answer = await signIn(`${bbs.url}/rest/oauth2/latest/authorize?${new URLSearchParams(params)}`, {
    login: 'alice',
  });
  assert.match(answer.page, /fake-bitbucket-server: sign in to authorize atelier-bbs/);
  assert.equal(answer.status, 302, answer.page);
  const location = new URL(answer.location ?? '');
  assert.equal(location.searchParams.get('state'), 'st');
  return location.searchParams.get('code') ?? '';
}

/** As Atlassian's examples send it: every parameter in the query of a POST. */
const tokenByQuery = (fields: Record<string, string>) =>
  postForm(`${bbs.url}/rest/oauth2/latest/token?${new URLSearchParams(fields)}`, {});
const tokenByForm = (fields: Record<string, string>) =>
  postForm(`${bbs.url}/rest/oauth2/latest/token`, fields);

describe('fake-bitbucket-server OAuth 2.0', () => {
  test('code flow with PKCE: an expiring token with its scopes, a refresh token, whoami', async () => {
    const { verifier, challenge } = pkcePair();
    const fields = {
      ...client,
      grant_type: 'authorization_code',
      code: await code(challenge),
      code_verifier: verifier,
    };
    const res = await tokenByQuery(fields);
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.deepEqual(
      [body.token_type, body.scope, body.expires_in, typeof body.refresh_token],
      ['bearer', 'PUBLIC_REPOS REPO_READ', 3600, 'string'],
    );
    const whoami = await fetch(`${bbs.url}/plugins/servlet/applinks/whoami`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    assert.deepEqual([whoami.status, await whoami.text()], [200, 'alice']);
    assert.equal((await fetch(`${bbs.url}/plugins/servlet/applinks/whoami`)).status, 401);

    const spent = await tokenByQuery(fields);
    assert.deepEqual([spent.status, spent.json().error], [400, 'invalid_grant']);
    const refreshed = await tokenByForm({
      ...client,
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.json().scope, 'PUBLIC_REPOS REPO_READ');
    const again = await tokenByForm({
      ...client,
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
    });
    assert.deepEqual(
      [again.status, again.json().error],
      [400, 'invalid_grant'],
      'a refresh token is used once',
    );
  });

  test('refusals: wrong secret, wrong verifier, an unregistered redirect URI', async () => {
    const { verifier, challenge } = pkcePair();
    const fields = { ...client, grant_type: 'authorization_code', code_verifier: verifier };
    const wrongSecret = await tokenByForm({ ...fields, code: await code(challenge), client_secret: 'nope' });
    assert.deepEqual([wrongSecret.status, wrongSecret.json().error], [401, 'invalid_client']);
    const wrongVerifier = await tokenByForm({ ...fields, code: await code(challenge), code_verifier: 'x' });
    assert.deepEqual([wrongVerifier.status, wrongVerifier.json().error], [400, 'invalid_grant']);
    const evil = `${bbs.url}/rest/oauth2/latest/authorize?client_id=atelier-bbs&response_type=code&redirect_uri=${encodeURIComponent('http://evil.example/')}`;
    const page = await fetch(evil, { redirect: 'manual' });
    assert.deepEqual([page.status, page.headers.get('location')], [400, null]);
  });
});

describe('fake-bitbucket-server REST 1.0', () => {
  const api = (path: string) => `${bbs.url}/rest/api/1.0/projects/PROJ/repos/portal${path}`;
  const sha = async (ref: string) =>
    (await git(['--git-dir', bbs.repoPath('PROJ', 'portal'), 'rev-parse', ref])).stdout.trim();

  test('users by slug and by filter; anonymous callers may not look users up', async () => {
    const token = bbs.issueToken('alice', ['PUBLIC_REPOS']);
    const carol = await getJson(`${bbs.url}/rest/api/1.0/users/carol_corp`, token);
    assert.deepEqual(carol.body, {
      name: 'Carol@Corp',
      emailAddress: 'carol@corp.example',
      id: 13,
      displayName: 'Carol C',
      active: true,
      slug: 'carol_corp',
      type: 'NORMAL',
      links: { self: [{ href: `${bbs.url}/users/carol_corp` }] },
    });
    assert.equal((await getJson(`${bbs.url}/rest/api/1.0/users/Carol@Corp`, token)).status, 404);
    const found = await getJson(`${bbs.url}/rest/api/1.0/users?filter=Carol@Corp`, token);
    assert.deepEqual(
      (found.body.values as { slug: string }[]).map((u) => u.slug),
      ['carol_corp'],
    );
    assert.equal((await getJson(`${bbs.url}/rest/api/latest/users/alice`)).status, 401);
  });

  test('a private repository: 401 for those who may not see it, its fields for those who may', async () => {
    const refused = await getJson(api(''));
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body.errors, [
      {
        context: null,
        message: 'You are not permitted to access this resource',
        exceptionName: 'com.atlassian.bitbucket.AuthorisationException',
      },
    ]);
    assert.equal((await getJson(api(''), bbs.issueToken('bob', ['REPO_READ']))).status, 401, 'no member');
    assert.equal((await getJson(api(''), bbs.issueToken('alice', ['PUBLIC_REPOS']))).status, 401, 'no scope');
    assert.equal((await getJson(api(''), 'bbs_forged')).status, 401);
    const missing = await getJson(`${bbs.url}/rest/api/1.0/projects/PROJ/repos/nope`);
    assert.equal(missing.status, 404);

    const token = bbs.issueToken('alice', ['REPO_READ']);
    const repo = (await getJson(api(''), token)).body;
    const host = new URL(bbs.url).host;
    assert.deepEqual(
      [repo.slug, repo.public, repo.scmId, repo.project, repo.links],
      [
        'portal',
        false,
        'git',
        {
          key: 'PROJ',
          id: 1,
          name: 'PROJ',
          public: false,
          type: 'NORMAL',
          links: { self: [{ href: `${bbs.url}/projects/PROJ` }] },
        },
        {
          clone: [{ href: `http://alice@${host}/scm/proj/portal.git`, name: 'http' }],
          self: [{ href: `${bbs.url}/projects/PROJ/repos/portal/browse` }],
        },
      ],
    );
    assert.equal((await getJson(`${bbs.url}/rest/api/latest/projects/proj/repos/portal`, token)).status, 200);
    const main = await sha('main');
    for (const path of ['/default-branch', '/branches/default']) {
      assert.deepEqual((await getJson(api(path), token)).body, {
        id: 'refs/heads/main',
        displayId: 'main',
        type: 'BRANCH',
        latestCommit: main,
        latestChangeset: main,
        isDefault: true,
      });
    }
  });

  test("a user's personal repository at /users/<slug>/repos and /projects/~<user>/repos", async () => {
    const token = bbs.issueToken('bob', ['REPO_READ']);
    const repo = (await getJson(`${bbs.url}/rest/api/1.0/users/bob/repos/notes`, token)).body;
    const project = repo.project as { key: string; type: string; owner: { name: string } };
    assert.deepEqual([project.key, project.type, project.owner.name], ['~BOB', 'PERSONAL', 'bob']);
    const links = repo.links as { clone: { href: string }[] };
    assert.equal(links.clone[0]?.href, `http://bob@${new URL(bbs.url).host}/scm/~bob/notes.git`);
    assert.equal((await getJson(`${bbs.url}/rest/api/1.0/projects/~BOB/repos/notes`, token)).status, 200);
    assert.equal(
      (await getJson(`${bbs.url}/rest/api/1.0/users/bob/repos/notes`, bbs.issueToken('alice', ['REPO_READ'])))
        .status,
      401,
    );
  });

  test('pull request, commits by id (not by name), branches and tags by filter', async () => {
    const token = bbs.issueToken('alice', ['REPO_READ']);
    const [main, login] = [await sha('main'), await sha('feature/login')];
    const pr = (await getJson(api('/pull-requests/7'), token)).body;
    assert.deepEqual([pr.id, pr.title, pr.state], [7, 'Login page', 'OPEN']);
    const from = pr.fromRef as {
      id: string;
      displayId: string;
      latestCommit: string;
      repository: { slug: string; project: { key: string }; links: unknown };
    };
    assert.deepEqual(
      [from.id, from.displayId, from.latestCommit, from.repository.slug, from.repository.project.key],
      ['refs/heads/feature/login', 'feature/login', login, 'portal', 'PROJ'],
    );
    assert.equal((pr.toRef as { latestCommit: string }).latestCommit, main);
    assert.equal((pr.author as { user: { name: string } }).user.name, 'bob');
    assert.equal((await getJson(api('/pull-requests/8'), token)).status, 404);

    const commit = (await getJson(api(`/commits/${login.slice(0, 8)}`), token)).body;
    assert.deepEqual(
      [commit.id, commit.displayId, commit.message, commit.parents],
      [login, login.slice(0, 11), 'Update feature/login', [{ id: main, displayId: main.slice(0, 11) }]],
    );
    assert.equal((await getJson(api('/commits/main'), token)).status, 404, 'a ref name is no commit id');

    const branches = (
      await getJson(api('/branches?filterText=feature/login&boostMatches=true&limit=1'), token)
    ).body;
    assert.deepEqual(
      [
        branches.size,
        branches.isLastPage,
        branches.nextPageStart,
        (branches.values as { displayId: string }[])[0]?.displayId,
      ],
      [1, false, 1, 'feature/login'],
    );
    const tags = (await getJson(api('/tags?filterText=v2'), token)).body;
    assert.deepEqual(tags.values, [
      {
        id: 'refs/tags/v2.0',
        displayId: 'v2.0',
        type: 'TAG',
        latestCommit: main,
        latestChangeset: main,
        hash: null,
      },
    ]);
  });

  test('browse a folder and a file, raw bytes, at a branch or a commit', async () => {
    const token = bbs.issueToken('alice', ['REPO_READ']);
    const folder = (await getJson(api('/browse/docs?at=refs/heads/main'), token)).body;
    const children = folder.children as { values: { path: { name: string }; type: string }[] };
    assert.deepEqual(
      children.values.map((c) => [c.path.name, c.type]),
      [
        ['deep', 'DIRECTORY'],
        ['setup.md', 'FILE'],
      ],
    );
    const file = (await getJson(api('/browse/README.md'), token)).body;
    assert.deepEqual(file.lines, [{ text: '# portal' }, { text: 'line 2' }]);
    const raw = await fetch(api(`/raw/login.ts?at=${await sha('feature/login')}`), {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.deepEqual([raw.status, await raw.text()], [200, 'x\n']);
    assert.equal((await getJson(api('/raw/login.ts?at=main'), token)).status, 404);
    assert.equal((await getJson(api('/browse/docs?at=no-such-branch'), token)).status, 404);
  });
});

describe('fake-bitbucket-server git over HTTP', () => {
  test("clone with the token and the user's name, refusals, a recorded push", async () => {
    const url = `${bbs.url}/scm/proj/portal.git`;
    const writer = bbs.issueToken('alice', ['REPO_WRITE']);
    const helper = `credential.helper=${credentialHelper('alice', writer)}`;
    const dest = join(work, 'clone');
    const clone = await git(['-c', helper, 'clone', '-q', url, dest]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(readFileSync(join(dest, 'README.md'), 'utf8'), '# portal\nline 2\n');
    const otherName = `credential.helper=${credentialHelper('x-token-auth', writer)}`;
    const named = await git(['-c', otherName, 'clone', '-q', url, join(work, 'named')]);
    assert.notEqual(named.code, 0, 'the token is given with its own user name');
    assert.notEqual(
      (await git(['-c', 'credential.helper=', 'clone', '-q', url, join(work, 'anon')])).code,
      0,
    );

    writeFileSync(join(dest, 'more.txt'), 'more\n');
    await git(['add', '-A'], dest);
    await git(['commit', '-q', '-m', 'More'], dest);
    const push = await git(['-c', helper, 'push', '-q', 'origin', 'HEAD:refs/heads/more'], dest);
    assert.equal(push.code, 0, push.stderr);
    const newSha = (await git(['rev-parse', 'HEAD'], dest)).stdout.trim();
    assert.ok(
      bbs.log.some(
        (e) => e.kind === 'push' && e.ref === 'refs/heads/more' && e.after === newSha && e.login === 'alice',
      ),
    );
    const reader = `credential.helper=${credentialHelper('alice', bbs.issueToken('alice', ['REPO_READ']))}`;
    assert.notEqual((await git(['-c', reader, 'push', '-q', url, 'HEAD:refs/heads/ro'], dest)).code, 0);

    const personal = `credential.helper=${credentialHelper('bob', bbs.issueToken('bob', ['REPO_READ']))}`;
    const notes = await git([
      '-c',
      personal,
      'clone',
      '-q',
      `${bbs.url}/scm/~bob/notes.git`,
      join(work, 'notes'),
    ]);
    assert.equal(notes.code, 0, notes.stderr);
    assert.equal(readFileSync(join(work, 'notes', 'todo.txt'), 'utf8'), 'a\n');
  });
});
