// Context resolution through the SCM APIs of fake-github, fake-gitlab and fake-bitbucket (their
// documented REST endpoints over real repositories): pull requests, issues, refs with paths,
// commits, private repositories with and without a token, and configuration files read before a clone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  type FakeScm,
  type FakeScmSpec,
  startFakeBitbucket,
  startFakeGitHub,
  startFakeGitLab,
} from '@atelier/fake-scm';
import { type AppError, isAppError, parseContext } from '@atelier/protocol';
import { endpointOf, providerOf, repositoryApi, scmHosts } from './api/index.js';
import type { AuthProvider, ProviderType } from './providers.js';
import { readConfigThroughApi, resolveContext, type WorkspaceSource } from './resolve-context.js';

const GITPOD_YML = 'image: node:22\ntasks:\n  - init: npm ci\n';
const DEVCONTAINER = '{ "image": "mcr.microsoft.com/devcontainers/base:debian" }\n';

function spec(owner: string): FakeScmSpec {
  return {
    users: [{ login: 'ada', id: 7, name: 'Ada', email: 'ada@example.com' }],
    apps: [],
    repos: [
      {
        owner,
        name: 'app',
        private: true,
        collaborators: ['ada'],
        branches: {
          main: { 'README.md': 'hello\n', 'src/a.ts': 'export {};\n' },
          'feature/x': { '.gitpod.yml': GITPOD_YML, 'src/b.ts': 'export const b = 1;\n' },
          'fix-7': { '.devcontainer/python/devcontainer.json': DEVCONTAINER },
        },
        tags: { 'v1.0': 'main' },
        pulls: [{ number: 3, title: 'Add b', head: 'feature/x', base: 'main', author: 'ada' }],
        issues: [{ number: 5, title: 'Fix the Parser: ümlauts & "quotes"', author: 'ada' }],
      },
    ],
  };
}

interface Pages {
  pull: string;
  issue: string;
  tree: string;
  blob: string;
  commit: string;
}

const SCMS: [ProviderType, (s: FakeScmSpec) => Promise<FakeScm>, string, Pages][] = [
  [
    'GitHub',
    startFakeGitHub,
    'octo',
    { pull: 'pull/3', issue: 'issues/5', tree: 'tree', blob: 'blob', commit: 'commit' },
  ],
  [
    'GitLab',
    startFakeGitLab,
    'group/sub',
    { pull: '-/merge_requests/3', issue: '-/issues/5', tree: '-/tree', blob: '-/blob', commit: '-/commit' },
  ],
  [
    'Bitbucket',
    startFakeBitbucket,
    'team',
    { pull: 'pull-requests/3', issue: 'issues/5', tree: 'src', blob: 'src', commit: 'commits' },
  ],
];

for (const [type, start, owner, page] of SCMS) {
  describe(`context resolution through fake-${type.toLowerCase()}'s API`, () => {
    let scm: FakeScm;
    let provider: AuthProvider;
    let token: string;

    before(async () => {
      scm = await start(spec(owner));
      provider = {
        id: `fake-${type.toLowerCase()}`,
        host: scm.host,
        type,
        clientId: 'c',
        clientSecret: 's',
        webOrigin: scm.url,
        callbackUrl: 'http://localhost/auth/callback',
      };
      token = scm.issueToken(
        'ada',
        type === 'GitHub' ? ['repo'] : type === 'GitLab' ? ['read_api'] : ['repository'],
      );
    });
    after(() => scm?.close());

    const resolve = async (path: string, withToken = true): Promise<WorkspaceSource> => {
      const parsed = parseContext(`${scm.url}/${owner}/app${path}`, scmHosts([provider]));
      assert.ok(parsed.kind !== 'snapshot' && parsed.kind !== 'git', parsed.kind);
      const api = repositoryApi(
        endpointOf(providerOf([provider], parsed.repository), parsed.repository),
        parsed.repository,
        withToken ? token : undefined,
      );
      return resolveContext(parsed, api, 'ada');
    };
    const git = async (rev: string) =>
      execFileSync('git', ['-C', scm.repoPath(owner, 'app'), 'rev-parse', rev], { encoding: 'utf8' }).trim();

    test('the repository: its clone URL from the API, the default branch', async () => {
      const s = await resolve('');
      assert.equal(s.cloneUrl, `${scm.url}/${owner}/app.git`);
      assert.equal(s.ref, undefined);
      assert.equal(s.configRev, 'main');
      assert.deepEqual(s.context, { kind: 'repository' });
      assert.equal(s.owner, owner);
      assert.equal(s.repo, 'app');
    });

    test('a pull request: its head branch, its base, its title', async () => {
      const s = await resolve(`/${page.pull}`);
      assert.equal(s.ref, 'feature/x');
      assert.equal(s.cloneUrl, `${scm.url}/${owner}/app.git`);
      assert.deepEqual(s.context, { kind: 'pull-request', number: 3, title: 'Add b', baseRef: 'main' });
      assert.equal(s.configRev, await git('feature/x'));
      assert.equal(s.description, `${owner}/app#3: Add b`);
    });

    test('an issue: the default branch and a local branch named after the issue', async () => {
      const s = await resolve(`/${page.issue}`);
      assert.equal(s.ref, undefined);
      assert.equal(s.context.localBranch, 'ada/fix-the-parser-umlauts-quotes-5');
      assert.equal(s.context.title, 'Fix the Parser: ümlauts & "quotes"');
    });

    test('a branch with "/" in its name, then a file path', async () => {
      const s = await resolve(`/${page.blob}/feature/x/src/b.ts`);
      assert.equal(s.ref, 'feature/x');
      assert.equal(s.context.openPath, 'src/b.ts');
    });

    test('a tag', async () => {
      const s = await resolve(`/${page.tree}/v1.0`);
      assert.equal(s.ref, 'v1.0');
      assert.equal(s.context.openPath, undefined);
    });

    test('an abbreviated commit becomes the full id', async () => {
      const full = await git('feature/x');
      const s = await resolve(`/${page.commit}/${full.slice(0, 10)}`);
      assert.equal(s.ref, full);
      assert.equal(s.context.kind, 'commit');
    });

    test('a ref that does not exist is named', async () => {
      await assert.rejects(resolve(`/${page.tree}/no-such-branch/src`), (e: AppError) => {
        assert.equal(e.code, 'not_found');
        assert.match(e.message, /no-such-branch/);
        return true;
      });
    });

    test('an unknown pull request is not found, with the hint to grant access', async () => {
      const parsed = `/${page.pull.replace('3', '99')}`;
      await assert.rejects(resolve(parsed), (e: AppError) => {
        assert.equal(e.code, 'not_found');
        assert.match(e.message, /#99|!99/);
        assert.match(e.message, /grant .* access to your private repositories/);
        return true;
      });
    });

    test('the private repository without a token: not found, and which provider to sign in with', async () => {
      await assert.rejects(resolve('', false), (e: unknown) => {
        assert.ok(isAppError(e), String(e));
        assert.equal(e.code, 'not_found');
        assert.match(e.message, new RegExp(`sign in with fake-${type.toLowerCase()} first`));
        assert.doesNotMatch(e.message, new RegExp(token));
        return true;
      });
    });

    test('configuration files are read through the API at the resolved commit', async () => {
      const before = scm.log.length;
      const pr = await resolve(`/${page.pull}`);
      const api = repositoryApi(
        endpointOf(provider, { provider: 'github', host: scm.host, owner, name: 'app', cloneUrl: '' }),
        { provider: providerTypeOf(type), host: scm.host, owner, name: 'app', cloneUrl: '' },
        token,
      );
      assert.ok(api);
      const config = await readConfigThroughApi(api, pr.configRev ?? '');
      assert.equal(config.origin, 'gitpod');
      assert.equal(config.file, '.gitpod.yml');
      assert.equal(config.revision, await git('feature/x'));
      assert.deepEqual(config.image, { kind: 'ref', ref: 'node:22' });

      const named = await readConfigThroughApi(api, 'fix-7');
      assert.equal(named.file, '.devcontainer/python/devcontainer.json');
      const none = await readConfigThroughApi(api, 'main');
      assert.equal(none.origin, 'default');
      const calls = scm.log.slice(before).filter((e) => e.kind === 'api');
      assert.ok(
        calls.length > 0 && calls.every((e) => e.login === 'ada'),
        "every call with the user's token",
      );
    });
  });
}

function providerTypeOf(type: ProviderType) {
  return type === 'GitHub' ? 'github' : type === 'GitLab' ? 'gitlab' : ('bitbucket' as const);
}
