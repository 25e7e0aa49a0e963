import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type SystemEnvInput, systemEnv, workspaceClusterHost } from './system-env.js';

const input: SystemEnvInput = {
  workspaceId: 'team-app-abcdefghij',
  instanceId: 'c0000000-0000-4000-8000-000000000001',
  ownerId: 'u0000000-0000-4000-8000-000000000002',
  urls: { scheme: 'https', domain: 'atelier.example.com', port: 443 },
  contextUrl: 'https://git.example.com/team/app.git',
  cloneUrl: 'https://git.example.com/team/app.git',
  ref: null,
  owner: 'team',
  repo: 'app',
  checkoutLocation: '/workspace/app',
  workspaceLocation: undefined,
  tasks: [{ name: 'build', init: 'make', env: { MODE: 'dev' } }],
  memoryBytes: 4 * 1024 ** 3,
  cpu: 2,
  coreDump: undefined,
};

describe('systemEnv', () => {
  test('every GITPOD_ variable, as Gitpod sets it', () => {
    const env = systemEnv(input);
    const gitpod = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('ATELIER_')));
    assert.deepEqual(gitpod, {
      GITPOD_WORKSPACE_ID: 'team-app-abcdefghij',
      GITPOD_INSTANCE_ID: 'c0000000-0000-4000-8000-000000000001',
      GITPOD_OWNER_ID: 'u0000000-0000-4000-8000-000000000002',
      GITPOD_WORKSPACE_URL: 'https://team-app-abcdefghij.ws.atelier.example.com',
      GITPOD_HOST: 'https://atelier.example.com',
      GITPOD_WORKSPACE_CLUSTER_HOST: 'ws.atelier.example.com',
      GITPOD_REPO_ROOT: '/workspace/app',
      GITPOD_REPO_ROOTS: '/workspace/app',
      GITPOD_WORKSPACE_CONTEXT_URL: 'https://git.example.com/team/app.git',
      GITPOD_WORKSPACE_CONTEXT: JSON.stringify({
        title: 'team/app',
        normalizedContextURL: 'https://git.example.com/team/app.git',
        repository: {
          host: 'git.example.com',
          owner: 'team',
          name: 'app',
          cloneUrl: 'https://git.example.com/team/app.git',
        },
        checkoutLocation: 'app',
      }),
      GITPOD_TASKS: '[{"name":"build","init":"make","env":{"MODE":"dev"}}]',
      GITPOD_MEMORY: '4096',
      GITPOD_CPU_COUNT: '2',
      THEIA_WORKSPACE_ROOT: '/workspace/app',
    });
  });

  test('each has an ATELIER_ twin with the same value, and nothing else is set', () => {
    const env = systemEnv({ ...input, coreDump: { soft: 0, hard: 'unlimited' } });
    for (const [name, value] of Object.entries(env)) {
      const twin = name.startsWith('GITPOD_')
        ? `ATELIER_${name.slice('GITPOD_'.length)}`
        : name === 'THEIA_WORKSPACE_ROOT'
          ? 'ATELIER_WORKSPACE_ROOT'
          : undefined;
      if (name.startsWith('ATELIER_')) continue;
      assert.ok(twin, `${name} is a GITPOD_ variable or THEIA_WORKSPACE_ROOT`);
      assert.equal(env[twin], value, `${twin} = ${name}`);
    }
    const names = Object.keys(env);
    assert.equal(names.filter((n) => n.startsWith('ATELIER_')).length, names.length / 2);
  });

  const variants: [string, Partial<SystemEnvInput>, Record<string, string | undefined>][] = [
    [
      'a port that is not the scheme default is part of the host names',
      { urls: { scheme: 'http', domain: 'localhost', port: 8080 } },
      {
        GITPOD_WORKSPACE_URL: 'http://team-app-abcdefghij.ws.localhost:8080',
        GITPOD_HOST: 'http://localhost:8080',
        GITPOD_WORKSPACE_CLUSTER_HOST: 'ws.localhost:8080',
      },
    ],
    [
      'coreDump sets GITPOD_RLIMIT_CORE',
      { coreDump: { soft: 1024, hard: 'unlimited' } },
      { GITPOD_RLIMIT_CORE: '{"softLimit":1024,"hardLimit":"unlimited"}' },
    ],
    ['no coreDump, no GITPOD_RLIMIT_CORE', {}, { GITPOD_RLIMIT_CORE: undefined }],
    [
      'workspaceLocation is the IDE root',
      { workspaceLocation: 'app/web.code-workspace' },
      { THEIA_WORKSPACE_ROOT: '/workspace/app/web.code-workspace', GITPOD_REPO_ROOT: '/workspace/app' },
    ],
    [
      'memory in whole MiB, CPUs rounded up',
      { memoryBytes: 1536 * 1024 ** 2 + 1000, cpu: 0.5 },
      { GITPOD_MEMORY: '1536', GITPOD_CPU_COUNT: '1' },
    ],
    ['no tasks: an empty list', { tasks: [] }, { GITPOD_TASKS: '[]' }],
  ];
  for (const [label, change, expected] of variants) {
    test(label, () => {
      const env = systemEnv({ ...input, ...change });
      for (const [name, value] of Object.entries(expected)) assert.equal(env[name], value, name);
    });
  }

  test('the context of a ref and of a file:// repository', () => {
    const env = systemEnv({
      ...input,
      contextUrl: 'file:///srv/git/app',
      cloneUrl: 'file:///srv/git/app',
      owner: 'git',
      ref: 'feature/x',
    });
    const context = JSON.parse(env.GITPOD_WORKSPACE_CONTEXT ?? '');
    assert.equal(context.ref, 'feature/x');
    assert.deepEqual(context.repository, {
      host: '',
      owner: 'git',
      name: 'app',
      cloneUrl: 'file:///srv/git/app',
    });
  });

  test('the cluster host of the default https port has no port', () => {
    assert.equal(workspaceClusterHost({ scheme: 'https', domain: 'a.example', port: 443 }), 'ws.a.example');
  });
});
