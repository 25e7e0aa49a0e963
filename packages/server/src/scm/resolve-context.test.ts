// Context resolution through the SCM APIs of fake-github, fake-gitlab, fake-bitbucket,
// fake-bitbucket-server (a project's and a user's personal repository) and fake-azure-devops (their
// documented REST endpoints over real repositories): pull requests, issues,
// refs with paths, commits, private repositories with and without a token, and configuration files
// read before a clone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  type FakeScm,
  type FakeScmSpec,
  startFakeAzureDevOps,
  startFakeBitbucket,
  startFakeBitbucketServer,
  startFakeGitHub,
  startFakeGitLab,
} from '@atelier/fake-scm';
import {
  type AppError,
  type ContextRepository,
  isAppError,
  parseContext,
  SCM_TYPE_OF_AUTH_PROVIDER_TYPE,
} from '@atelier/protocol';
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

/** One SCM: its fake, the owner its URLs name, and each case's URL below the repository's page. */
interface Scm {
  type: ProviderType;
  start: (s: FakeScmSpec) => Promise<FakeScm>;
  owner: string;
  /** what a token needs to read the private repository */
  scopes: string[];
  /** the repository's page and the clone URL its API gives, below the fake's URL */
  page: string;
  clone: string;
  pull: (n: number) => string;
  /** absent: the SCM's issues are no part of its Git API (Azure DevOps' work items, Bitbucket Server) */
  issue?: string;
  /** without `issue`: what the refusal to open an issue says */
  issueRefusal?: RegExp;
  /** a second row of one SCM: what sets it apart, in the suite's name */
  variant?: string;
  /** branch feature/x, file src/b.ts */
  branchFile: string;
  tag: string;
  commit: (sha: string) => string;
  /** branch no-such-branch, folder src */
  unknownRef: string;
  /** the SCM finds commits by their full id only */
  fullCommitsOnly?: boolean;
}

const SCMS: Scm[] = [
  {
    type: 'GitHub',
    start: startFakeGitHub,
    owner: 'octo',
    scopes: ['repo'],
    page: 'octo/app',
    clone: 'octo/app.git',
    pull: (n) => `/pull/${n}`,
    issue: '/issues/5',
    branchFile: '/blob/feature/x/src/b.ts',
    tag: '/tree/v1.0',
    commit: (sha) => `/commit/${sha}`,
    unknownRef: '/tree/no-such-branch/src',
  },
  {
    type: 'GitLab',
    start: startFakeGitLab,
    owner: 'group/sub',
    scopes: ['read_api'],
    page: 'group/sub/app',
    clone: 'group/sub/app.git',
    pull: (n) => `/-/merge_requests/${n}`,
    issue: '/-/issues/5',
    branchFile: '/-/blob/feature/x/src/b.ts',
    tag: '/-/tree/v1.0',
    commit: (sha) => `/-/commit/${sha}`,
    unknownRef: '/-/tree/no-such-branch/src',
  },
  {
    type: 'Bitbucket',
    start: startFakeBitbucket,
    owner: 'team',
    scopes: ['repository'],
    page: 'team/app',
    clone: 'team/app.git',
    pull: (n) => `/pull-requests/${n}`,
    issue: '/issues/5',
    branchFile: '/src/feature/x/src/b.ts',
    tag: '/src/v1.0',
    commit: (sha) => `/commits/${sha}`,
    unknownRef: '/src/no-such-branch/src',
  },
  {
    type: 'AzureDevOps',
    start: startFakeAzureDevOps,
    owner: 'acme/Web',
    scopes: ['499b84ac-1321-427f-aa17-267ca6975798/.default'],
    page: 'acme/Web/_git/app',
    clone: 'acme/Web/_git/app',
    pull: (n) => `/pullrequest/${n}`,
    branchFile: '?version=GBfeature/x&path=/src/b.ts',
    tag: '?version=GTv1.0',
    commit: (sha) => `/commit/${sha}`,
    unknownRef: '?version=GBno-such-branch&path=/src',
    issueRefusal: /work items, which Atelier cannot open yet: open .*app, one of its branches/,
    fullCommitsOnly: true,
  },
  {
    type: 'BitbucketServer',
    start: startFakeBitbucketServer,
    owner: 'PROJ',
    scopes: ['REPO_READ'],
    page: 'projects/PROJ/repos/app',
    clone: 'scm/proj/app.git',
    pull: (n) => `/pull-requests/${n}/overview`,
    issueRefusal:
      /^Bitbucket Server has no issues .*: open PROJ\/app on fake-bitbucket-server, one of its branches/,
    branchFile: '/browse/src/b.ts?at=refs%2Fheads%2Ffeature%2Fx',
    tag: '/browse?at=refs/tags/v1.0',
    commit: (sha) => `/commits/${sha}`,
    unknownRef: '/browse/src?at=refs/heads/no-such-branch',
  },
  {
    type: 'BitbucketServer',
    variant: "a user's personal repository",
    start: startFakeBitbucketServer,
    owner: '~ada',
    scopes: ['REPO_WRITE'],
    page: 'users/ada/repos/app',
    clone: 'scm/~ada/app.git',
    pull: (n) => `/pull-requests/${n}`,
    issueRefusal: /^Bitbucket Server has no issues .*: open ~ada\/app on fake-bitbucket-server/,
    branchFile: '/browse/src/b.ts?at=feature/x',
    tag: '/browse?at=v1.0',
    commit: (sha) => `/commits/${sha}`,
    unknownRef: '/browse/src?at=no-such-branch',
  },
];

const FAKE_NAMES: Partial<Record<ProviderType, string>> = {
  AzureDevOps: 'azure-devops',
  BitbucketServer: 'bitbucket-server',
};

for (const scm of SCMS) {
  const { type, owner } = scm;
  const name = `fake-${FAKE_NAMES[type] ?? type.toLowerCase()}`;
  describe(`context resolution through ${name}'s API${scm.variant ? `: ${scm.variant}` : ''}`, () => {
    let fake: FakeScm;
    let provider: AuthProvider;
    let token: string;

    before(async () => {
      fake = await scm.start(spec(owner));
      provider = {
        id: name,
        host: fake.host,
        type,
        clientId: 'c',
        clientSecret: 's',
        webOrigin: fake.url,
        callbackUrl: 'http://localhost/auth/callback',
      };
      token = fake.issueToken('ada', scm.scopes);
    });
    after(() => fake?.close());

    const resolve = async (path: string, withToken = true): Promise<WorkspaceSource> => {
      const parsed = parseContext(`${fake.url}/${scm.page}${path}`, scmHosts([provider]));
      assert.ok(parsed.kind !== 'snapshot' && parsed.kind !== 'git', parsed.kind);
      const api = repositoryApi(
        endpointOf(providerOf([provider], parsed.repository), parsed.repository),
        parsed.repository,
        withToken ? token : undefined,
      );
      return resolveContext(parsed, api, 'ada');
    };
    const git = async (rev: string) =>
      execFileSync('git', ['-C', fake.repoPath(owner, 'app'), 'rev-parse', rev], { encoding: 'utf8' }).trim();
    const contextRepository = (): ContextRepository => ({
      provider: SCM_TYPE_OF_AUTH_PROVIDER_TYPE[type] ?? 'github',
      host: fake.host,
      owner,
      name: 'app',
      cloneUrl: '',
    });

    test('the repository: its clone URL from the API, the default branch', async () => {
      const s = await resolve('');
      assert.equal(s.cloneUrl, `${fake.url}/${scm.clone}`);
      assert.equal(s.ref, undefined);
      assert.equal(s.configRev, 'main');
      assert.deepEqual(s.context, { kind: 'repository' });
      assert.equal(s.owner, owner);
      assert.equal(s.repo, 'app');
    });

    test('a pull request: its head branch, its base, its title', async () => {
      const s = await resolve(scm.pull(3));
      assert.equal(s.ref, 'feature/x');
      assert.equal(s.cloneUrl, `${fake.url}/${scm.clone}`);
      assert.deepEqual(s.context, { kind: 'pull-request', number: 3, title: 'Add b', baseRef: 'main' });
      assert.equal(s.configRev, await git('feature/x'));
      assert.equal(s.description, `${owner}/app#3: Add b`);
    });

    const { issue } = scm;
    if (issue) {
      test('an issue: the default branch and a local branch named after the issue', async () => {
        const s = await resolve(issue);
        assert.equal(s.ref, undefined);
        assert.equal(s.context.localBranch, 'ada/fix-the-parser-umlauts-quotes-5');
        assert.equal(s.context.title, 'Fix the Parser: ümlauts & "quotes"');
      });
    } else {
      test('an issue cannot be opened, and the message says what can', async () => {
        const api = repositoryApi(endpointOf(provider, contextRepository()), contextRepository(), token);
        const refusal = scm.issueRefusal;
        assert.ok(refusal, 'a row without issue says how an issue is refused');
        await assert.rejects(
          async () => api?.issue(5),
          (e: AppError) => {
            assert.equal(e.code, 'not_found');
            assert.match(e.message, refusal);
            return true;
          },
        );
      });
    }

    test('a branch with "/" in its name, then a file path', async () => {
      const s = await resolve(scm.branchFile);
      assert.equal(s.ref, 'feature/x');
      assert.equal(s.context.openPath, 'src/b.ts');
    });

    test('a tag', async () => {
      const s = await resolve(scm.tag);
      assert.equal(s.ref, 'v1.0');
      assert.equal(s.context.openPath, undefined);
    });

    if (scm.fullCommitsOnly) {
      test('a full commit id opens; an abbreviated one is refused, asking for the full id', async () => {
        const full = await git('feature/x');
        const s = await resolve(scm.commit(full));
        assert.equal(s.ref, full);
        assert.equal(s.context.kind, 'commit');
        await assert.rejects(resolve(scm.commit(full.slice(0, 10))), (e: AppError) => {
          assert.equal(e.code, 'not_found');
          assert.match(e.message, new RegExp(`full 40-digit id only, and ${full.slice(0, 10)} is shorter`));
          return true;
        });
      });
    } else {
      test('an abbreviated commit becomes the full id', async () => {
        const full = await git('feature/x');
        const s = await resolve(scm.commit(full.slice(0, 10)));
        assert.equal(s.ref, full);
        assert.equal(s.context.kind, 'commit');
      });
    }

    test('a ref that does not exist is named', async () => {
      await assert.rejects(resolve(scm.unknownRef), (e: AppError) => {
        assert.equal(e.code, 'not_found');
        assert.match(e.message, /no-such-branch/);
        return true;
      });
    });

    test('an unknown pull request is not found, with the hint to grant access', async () => {
      await assert.rejects(resolve(scm.pull(99)), (e: AppError) => {
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
        assert.match(e.message, new RegExp(`sign in with ${name} first`));
        assert.doesNotMatch(e.message, new RegExp(token));
        return true;
      });
    });

    test('configuration files are read through the API at the resolved commit', async () => {
      const before = fake.log.length;
      const pr = await resolve(scm.pull(3));
      const api = repositoryApi(endpointOf(provider, contextRepository()), contextRepository(), token);
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
      const calls = fake.log.slice(before).filter((e) => e.kind === 'api');
      assert.ok(
        calls.length > 0 && calls.every((e) => e.login === 'ada'),
        "every call with the user's token",
      );
    });
  });
}
