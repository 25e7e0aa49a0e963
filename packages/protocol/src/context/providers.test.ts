// Which provider a URL belongs to: longest host path, ssh by host name, the host rule of the config.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseContext } from './parse.js';
import {
  findSshProvider,
  findWebProvider,
  SCM_TYPE_OF_AUTH_PROVIDER_TYPE,
  type ScmProviderHost,
  scmProviderHostSchema,
} from './providers.js';

const SHARED: readonly ScmProviderHost[] = [
  { host: 'example.com', type: 'github' },
  { host: 'example.com/gitlab', type: 'gitlab' },
  { host: 'example.com/tools/bitbucket', type: 'bitbucket-server' },
];

describe('findWebProvider', () => {
  test('the provider with the longest matching path wins', () => {
    assert.equal(findWebProvider(SHARED, 'example.com', ['gitlab', 'g', 'p'])?.provider.type, 'gitlab');
    assert.deepEqual(findWebProvider(SHARED, 'example.com', ['tools', 'bitbucket', 'scm'])?.rest, ['scm']);
    assert.equal(findWebProvider(SHARED, 'example.com', ['tools', 'x'])?.provider.type, 'github');
    assert.equal(findWebProvider(SHARED, 'Example.COM', ['o', 'r'])?.provider.type, 'github');
  });
  test('another host or port is no match', () => {
    assert.equal(findWebProvider(SHARED, 'example.org', ['o', 'r']), undefined);
    assert.equal(findWebProvider(SHARED, 'example.com:8443', ['o', 'r']), undefined);
  });
});

describe('findSshProvider', () => {
  test('a provider on exactly the host, else the only one on it', () => {
    assert.equal(findSshProvider(SHARED, 'example.com')?.type, 'github');
    assert.equal(
      findSshProvider([{ host: 'h.example/gitlab', type: 'gitlab' }], 'h.example')?.type,
      'gitlab',
    );
    assert.equal(findSshProvider([{ host: 'h.example:8443', type: 'github' }], 'h.example')?.type, 'github');
  });
  test('several providers below paths of one host are ambiguous: none', () => {
    assert.equal(findSshProvider(SHARED.slice(1), 'example.com'), undefined);
  });
  test('Azure DevOps serves ssh on ssh.<host>', () => {
    assert.equal(
      findSshProvider([{ host: 'dev.azure.com', type: 'azure-devops' }], 'ssh.dev.azure.com')?.host,
      'dev.azure.com',
    );
  });
});

describe('scmProviderHostSchema', () => {
  for (const host of [
    'github.com',
    'gitlab.example.com:8443',
    '1.2.3.4/gitlab',
    'git.corp/tools/bitbucket',
  ]) {
    test(`accepts ${host}`, () => {
      assert.deepEqual(scmProviderHostSchema.parse({ host, type: 'gitlab' }), { host, type: 'gitlab' });
    });
  }
  for (const host of ['https://github.com', 'GitHub.com', 'github.com/', '', 'git hub.com', '-x.com']) {
    test(`refuses ${JSON.stringify(host)}`, () => {
      assert.equal(scmProviderHostSchema.safeParse({ host, type: 'github' }).success, false);
    });
  }
  test('Gitpod authProviders types map to ours', () => {
    assert.equal(SCM_TYPE_OF_AUTH_PROVIDER_TYPE.BitbucketServer, 'bitbucket-server');
    assert.equal(SCM_TYPE_OF_AUTH_PROVIDER_TYPE.AzureDevOps, 'azure-devops');
  });
});

describe('parseContext with the provider list', () => {
  test('a host nobody configured is a plain git host, even github.com', () => {
    assert.deepEqual(parseContext('https://github.com/gitpod-io/gitpod', []), {
      kind: 'git',
      host: 'github.com',
      cloneUrl: 'https://github.com/gitpod-io/gitpod',
      env: {},
      forceImageBuild: false,
      normalizedContextUrl: 'https://github.com/gitpod-io/gitpod',
    });
  });
  test('the same path is read by the provider below it', () => {
    const parsed = parseContext('https://example.com/gitlab/group/project/-/merge_requests/2', SHARED);
    assert.equal(parsed.kind, 'pull-request');
    assert.deepEqual('repository' in parsed && parsed.repository, {
      provider: 'gitlab',
      host: 'example.com/gitlab',
      owner: 'group',
      name: 'project',
      cloneUrl: 'https://example.com/gitlab/group/project.git',
    });
  });
});
