import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type WorkspaceId, workspaceConfigSchema } from '@atelier/protocol';
import { startTestServer, type TestServer } from '../testing/test-server.js';

interface EnvVarEntry {
  id: string;
  name: string;
  repositoryPattern: string;
  createdAt: string;
  updatedAt: string;
}

describe('user environment variables', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('PUT creates (201), PUT again replaces the value (200); values are sealed and never returned', async () => {
    const { client, user } = await t.userClient('alice');
    const created = await client.call<EnvVarEntry>('PUT', '/api/v1/user/env-vars', {
      name: 'NPM_TOKEN',
      value: 'first-secret-value',
      repositoryPattern: ' Acme/* ',
    });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body).sort(), [
      'createdAt',
      'id',
      'name',
      'repositoryPattern',
      'updatedAt',
    ]);
    assert.equal(created.body.repositoryPattern, 'acme/*', 'patterns are stored trimmed, in lower case');

    const replaced = await client.call<EnvVarEntry>('PUT', '/api/v1/user/env-vars', {
      name: 'NPM_TOKEN',
      value: 'second-secret-value',
      repositoryPattern: 'acme/*',
    });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.id, created.body.id);

    const list = await client.call<EnvVarEntry[]>('GET', '/api/v1/user/env-vars');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.map((v) => [v.id, v.name, v.repositoryPattern]),
      [[created.body.id, 'NPM_TOKEN', 'acme/*']],
    );
    for (const text of [created.text, replaced.text, list.text, t.logs.join('\n')]) {
      assert.ok(!text.includes('secret-value'), 'no response and no log line holds a value');
    }
    const [row] = await t.repos.envVars.list(user.id);
    assert.ok(row && !row.valueSealed.includes('secret-value'), 'stored sealed');
    assert.equal(t.secrets.open(row?.valueSealed ?? ''), 'second-secret-value');
  });

  test('each user sees only their own; deleting another user’s is a 404 and keeps it', async () => {
    const alice = await t.userClient('alice2');
    const bob = await t.userClient('bob');
    const put = await alice.client.call<EnvVarEntry>('PUT', '/api/v1/user/env-vars', {
      name: 'SHARED_NAME',
      value: 'v',
      repositoryPattern: '*/*',
    });
    assert.deepEqual((await bob.client.call<EnvVarEntry[]>('GET', '/api/v1/user/env-vars')).body, []);
    const res = await bob.client.call<{ code: string; message: string }>(
      'DELETE',
      `/api/v1/user/env-vars/${put.body.id}`,
    );
    assert.equal(res.status, 404);
    assert.match(res.body.message, /environment variable .* not found/);
    assert.equal((await alice.client.call<EnvVarEntry[]>('GET', '/api/v1/user/env-vars')).body.length, 1);

    assert.equal((await alice.client.call('DELETE', `/api/v1/user/env-vars/${put.body.id}`)).status, 204);
    assert.deepEqual((await alice.client.call<EnvVarEntry[]>('GET', '/api/v1/user/env-vars')).body, []);
    assert.equal((await alice.client.call('DELETE', `/api/v1/user/env-vars/${put.body.id}`)).status, 404);
  });

  const invalid: [string, Record<string, unknown>, string[]][] = [
    [
      'a reserved prefix',
      { name: 'GITPOD_TOKEN', value: 'x', repositoryPattern: '*/*' },
      [
        'name: GITPOD_TOKEN starts with GITPOD_, which is reserved for the variables every workspace gets: choose another name',
      ],
    ],
    [
      'an invalid name',
      { name: '1X', value: 'x', repositoryPattern: '*/*' },
      ['name: "1X" is not a variable name: use letters, digits and "_", and do not start with a digit'],
    ],
    [
      'a pattern with one segment',
      { name: 'X', value: 'x', repositoryPattern: 'repo' },
      [
        'repositoryPattern: "repo" is not a repository pattern: write owner/repo, with * for any one segment (*/* = every repository)',
      ],
    ],
    [
      '** before the last segment',
      { name: 'X', value: 'x', repositoryPattern: '**/repo' },
      ['repositoryPattern: "**/repo": ** (any number of segments) may only be the last segment'],
    ],
    [
      'an empty value',
      { name: 'X', value: '', repositoryPattern: '*/*' },
      ['value: a value must not be empty: delete the variable instead'],
    ],
    [
      'missing fields and an extra one',
      { name: 'X', extra: true },
      [
        'value: value is required',
        'repositoryPattern: repositoryPattern is required: owner/repo, or */* for every repository',
        '(root): Unrecognized key: "extra"',
      ],
    ],
  ];
  for (const [label, body, details] of invalid) {
    test(`400 for ${label}, naming the rule`, async () => {
      const { client } = await t.userClient(`u${label.replace(/\W/g, '').slice(0, 20)}`);
      const res = await client.call<{ code: string; details: string[] }>(
        'PUT',
        '/api/v1/user/env-vars',
        body,
      );
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'invalid_argument');
      assert.deepEqual(res.body.details, details);
      assert.deepEqual((await client.call<unknown[]>('GET', '/api/v1/user/env-vars')).body, []);
    });
  }

  test('without a credential: 401', async () => {
    const anonymous = t.browser();
    assert.equal((await anonymous.call('GET', '/api/v1/user/env-vars')).status, 401);
    const put = await anonymous.call('PUT', '/api/v1/user/env-vars', {
      name: 'X',
      value: 'x',
      repositoryPattern: '*/*',
    });
    assert.equal(put.status, 401);
  });

  test('the OpenAPI document describes the routes', async () => {
    const doc = await t
      .browser()
      .call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json');
    assert.deepEqual(Object.keys(doc.body.paths['/api/v1/user/env-vars'] ?? {}).sort(), ['get', 'put']);
    const del = doc.body.paths['/api/v1/user/env-vars/{id}']?.delete as { parameters: { schema: unknown }[] };
    assert.deepEqual(del.parameters[0]?.schema, { type: 'string' }, 'the id is no workspace id');
  });
});

describe("the context URL's VAR=value prefix", () => {
  let t: TestServer;
  const checked: string[] = [];
  before(async () => {
    t = await startTestServer({
      checkRepository: async (repository) => {
        checked.push(repository.cloneUrl);
        return workspaceConfigSchema.parse({ origin: 'default', image: { kind: 'default' } });
      },
    });
  });
  after(() => t.close());

  test('is kept with the workspace; the repository is the URL after it', async () => {
    const { client } = await t.userClient('carol');
    const res = await client.call<{ id: string }>('POST', '/api/v1/workspaces', {
      contextUrl: 'FOO=bar,MODE=a%3Db/https://git.example.com/team/app.git',
    });
    assert.equal(res.status, 201, res.text);
    const row = await t.repos.workspaces.get(res.body.id as WorkspaceId);
    assert.deepEqual(JSON.parse(row?.contextEnv ?? 'null'), { FOO: 'bar', MODE: 'a=b' });
    assert.equal(row?.contextUrl, 'https://git.example.com/team/app.git');
    assert.equal(row?.cloneUrl, 'https://git.example.com/team/app.git');
    assert.equal(checked.at(-1), 'https://git.example.com/team/app.git');
  });

  test('without a prefix, no context environment', async () => {
    const { client } = await t.userClient('dan');
    const res = await client.call<{ id: string }>('POST', '/api/v1/workspaces', {
      contextUrl: 'https://git.example.com/team/app.git',
    });
    assert.equal(res.status, 201, res.text);
    assert.equal((await t.repos.workspaces.get(res.body.id as WorkspaceId))?.contextEnv, null);
  });

  test('a blocked variable is a 400 naming it; nothing is created', async () => {
    const { client, user } = await t.userClient('erin');
    const before = checked.length;
    const res = await client.call<{ code: string; message: string }>('POST', '/api/v1/workspaces', {
      contextUrl: 'FOO=ok,LD_PRELOAD=x/https://git.example.com/team/app.git',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'invalid_argument');
    assert.match(res.body.message, /^LD_PRELOAD cannot be set from the context URL/);
    assert.equal(checked.length, before, 'the repository was not even asked');
    assert.deepEqual(await t.repos.workspaces.listByOwner(user.id), []);
  });
});
