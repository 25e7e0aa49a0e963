// A pull request from a fork, through the APIs of fake-github, fake-gitlab and fake-bitbucket: the
// workspace clones the fork at the head branch, the target repository becomes the remote
// `upstream`, and the configuration is read from the fork, where the head commit is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type FakeScm,
  type FakeScmSpec,
  startFakeBitbucket,
  startFakeGitHub,
  startFakeGitLab,
} from '@atelier/fake-scm';
import { parseContext, parseStoredContext, type WorkspaceId } from '@atelier/protocol';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { endpointOf, repositoryApi, scmHosts } from './api/index.js';
import type { AuthProvider, ProviderType } from './providers.js';
import { readConfigThroughApi, resolveContext } from './resolve-context.js';

const SPEC: FakeScmSpec = {
  users: [
    { login: 'ada', id: 7, name: 'Ada', email: 'ada@example.com' },
    { login: 'fan', id: 8, name: 'Fan', email: 'fan@example.com' },
  ],
  apps: [],
  repos: [
    {
      owner: 'team',
      name: 'app',
      private: false,
      branches: { main: { 'README.md': 'upstream\n' } },
      pulls: [
        {
          number: 4,
          title: 'Fix from a fork',
          head: 'fix',
          headRepo: 'fan/app',
          base: 'main',
          author: 'fan',
        },
      ],
    },
    {
      owner: 'fan',
      name: 'app',
      private: false,
      branches: { main: { 'README.md': 'upstream\n' }, fix: { '.gitpod.yml': 'image: node:22\n' } },
    },
  ],
};

const SCMS: [ProviderType, (s: FakeScmSpec) => Promise<FakeScm>, string][] = [
  ['GitHub', startFakeGitHub, 'pull/4'],
  ['GitLab', startFakeGitLab, '-/merge_requests/4'],
  ['Bitbucket', startFakeBitbucket, 'pull-requests/4'],
];

for (const [type, start, page] of SCMS) {
  describe(`a pull request from a fork on fake-${type.toLowerCase()}`, () => {
    let scm: FakeScm;
    let provider: AuthProvider;
    before(async () => {
      scm = await start(SPEC);
      provider = {
        id: `fake-${type.toLowerCase()}`,
        host: scm.host,
        type,
        clientId: 'c',
        clientSecret: 's',
        webOrigin: scm.url,
        callbackUrl: 'http://localhost/auth/callback',
      };
    });
    after(() => scm?.close());

    test('clones the fork at its branch, the target as upstream, the configuration from the fork', async () => {
      const parsed = parseContext(`${scm.url}/team/app/${page}`, scmHosts([provider]));
      assert.equal(parsed.kind, 'pull-request');
      if (parsed.kind !== 'pull-request') return;
      const endpoint = endpointOf(provider, parsed.repository);
      const source = await resolveContext(
        parsed,
        repositoryApi(endpoint, parsed.repository, undefined),
        'ada',
      );
      assert.equal(source.cloneUrl, `${scm.url}/fan/app.git`);
      assert.equal(source.ref, 'fix');
      assert.deepEqual(source.context, {
        kind: 'pull-request',
        number: 4,
        title: 'Fix from a fork',
        baseRef: 'main',
        upstreamCloneUrl: `${scm.url}/team/app.git`,
      });
      assert.deepEqual(source.configRepository, { owner: 'fan', name: 'app' });
      const forkApi = repositoryApi(endpoint, { ...parsed.repository, owner: 'fan', name: 'app' }, undefined);
      assert.ok(forkApi && source.configRev);
      const config = await readConfigThroughApi(forkApi, source.configRev);
      assert.equal(config.file, '.gitpod.yml');
      assert.deepEqual(config.image, { kind: 'ref', ref: 'node:22' });
    });
  });
}

describe('a workspace from a fork’s pull request, through the API', () => {
  let scm: FakeScm;
  let t: TestServer;
  before(async () => {
    scm = await startFakeGitHub(SPEC);
    t = await startTestServer({
      config: {
        authProviders: [
          {
            id: 'gh',
            host: scm.host,
            type: 'GitHub',
            scheme: 'http',
            oauth: { clientId: 'c', clientSecret: 's' },
          },
        ],
      },
    });
  });
  after(async () => {
    await t?.close();
    await scm?.close();
  });

  test('is stored with the fork to clone, its branch, upstream, and the fork’s configuration', async () => {
    const { client } = await t.userClient('ada');
    const created = await client.call<{ id: WorkspaceId }>('POST', '/api/v1/workspaces', {
      contextUrl: `${scm.url}/team/app/pull/4`,
    });
    assert.equal(created.status, 201, created.text);
    const workspace = await t.repos.workspaces.get(created.body.id);
    assert.ok(workspace);
    assert.equal(workspace.cloneUrl, `${scm.url}/fan/app.git`);
    assert.equal(workspace.ref, 'fix');
    assert.equal(workspace.description, 'team/app#4: Fix from a fork');
    assert.equal(parseStoredContext(workspace.context)?.upstreamCloneUrl, `${scm.url}/team/app.git`);
    assert.equal(JSON.parse(workspace.config ?? '{}').file, '.gitpod.yml');
  });
});
