// Tasks in the workspace API: the configuration summary in the workspace body, GET …/tasks and
// GET …/tasks/{index}/output before a start, live while running, and from the saved output after a stop.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type InstanceId,
  type WorkspaceConfig,
  type WorkspaceDto,
  type WorkspaceTasksDto,
  workspaceConfigSchema,
} from '@atelier/protocol';
import { type FakeSupervisor, startFakeSupervisor } from '../testing/fake-supervisor.js';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

const CONFIG: WorkspaceConfig = workspaceConfigSchema.parse({
  origin: 'gitpod',
  file: '.gitpod.yml',
  image: { kind: 'default' },
  tasks: [
    { name: 'deps', init: 'npm ci' },
    { name: 'web', command: 'npm start' },
  ],
  warnings: [{ file: '.devcontainer/devcontainer.json', message: 'both files exist: .gitpod.yml wins' }],
});

describe('workspace tasks', () => {
  let t: TestServer;
  let owner: TestClient;
  let other: TestClient;
  let id: string;
  let instanceId: InstanceId;
  let supervisor: FakeSupervisor;

  before(async () => {
    t = await startTestServer({ checkRepository: async () => CONFIG });
    owner = (await t.userClient('ada')).client;
    other = (await t.userClient('eve')).client;
    const created = await owner.call<{ id: string; instanceId: InstanceId }>('POST', '/api/v1/workspaces', {
      contextUrl: 'https://example.com/ada/site.git',
    });
    assert.equal(created.status, 201, created.text);
    ({ id, instanceId } = created.body);
    supervisor = await startFakeSupervisor(
      [
        { index: 0, name: 'deps', alias: 't1', state: 'exited', exitCode: 1 },
        { index: 1, name: 'web', alias: 't2', state: 'running', exitCode: null },
      ],
      ['npm ERR! missing package.json\r\n', '\x1b[32mlistening\x1b[0m on :3000\r\n'],
    );
  });
  after(async () => {
    await supervisor.close();
    await t.close();
  });

  const tasks = () => owner.call<WorkspaceTasksDto>('GET', `/api/v1/workspaces/${id}/tasks`);
  const output = (index: number | string, client = owner) =>
    client.call<string>('GET', `/api/v1/workspaces/${id}/tasks/${index}/output`);

  test('the workspace body says where its configuration came from and what was wrong with it', async () => {
    const one = await owner.call<WorkspaceDto>('GET', `/api/v1/workspaces/${id}`);
    const expected = {
      origin: 'gitpod',
      file: '.gitpod.yml',
      warnings: [{ file: '.devcontainer/devcontainer.json', message: 'both files exist: .gitpod.yml wins' }],
    };
    assert.deepEqual(one.body.config, expected);
    const list = await owner.call<WorkspaceDto[]>('GET', '/api/v1/workspaces');
    assert.deepEqual(list.body[0]?.config, expected);
  });

  test('before the instance runs, the configured tasks are pending and have no output', async () => {
    const reply = await tasks();
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body, {
      instanceId,
      live: false,
      tasks: [
        { index: 0, name: 'deps', state: 'pending', exitCode: null },
        { index: 1, name: 'web', state: 'pending', exitCode: null },
      ],
    });
    const out = await output(1);
    assert.equal(out.status, 200);
    assert.equal(out.body, '');
  });

  test('while it runs, the tasks and their output come from its supervisor, ANSI as written', async () => {
    await t.manager.advance(instanceId, 'running');
    t.manager.endpoint = async (asked) => (asked === instanceId ? supervisor.endpoint : undefined);
    const reply = await tasks();
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    assert.deepEqual(reply.body, {
      instanceId,
      live: true,
      tasks: [
        { index: 0, name: 'deps', state: 'exited', exitCode: 1 },
        { index: 1, name: 'web', state: 'running', exitCode: null },
      ],
    });
    const out = await output(1);
    assert.equal(out.status, 200);
    assert.match(out.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(out.headers.get('cache-control'), 'no-store');
    assert.equal(out.body, '\x1b[32mlistening\x1b[0m on :3000\r\n');
  });

  test('a running workspace whose supervisor does not answer is a 503 that says to try again', async () => {
    const gone = await startFakeSupervisor([], []);
    await gone.close();
    t.manager.endpoint = async () => gone.endpoint;
    for (const reply of [await tasks(), await output(0)]) {
      assert.equal(reply.status, 503, reply.text);
      const body = JSON.parse(reply.text) as { code: string; message: string };
      assert.equal(body.code, 'unavailable');
      assert.match(body.message, new RegExp(`^cannot read the tasks of workspace ${id}: .* try again`));
    }
    t.manager.endpoint = async (asked) => (asked === instanceId ? supervisor.endpoint : undefined);
  });

  test('after a stop, the output saved by the manager is served and the tasks have ended', async () => {
    await t.manager.advance(instanceId, 'stopping');
    await t.manager.advance(instanceId, 'stopped');
    await t.repos.logs.append(instanceId, 'task-0', 'npm ERR! ');
    await t.repos.logs.append(instanceId, 'task-0', 'missing package.json\r\n');
    const reply = await tasks();
    assert.deepEqual(reply.body, {
      instanceId,
      live: false,
      tasks: [
        { index: 0, name: 'deps', state: 'exited', exitCode: null },
        { index: 1, name: 'web', state: 'exited', exitCode: null },
      ],
    });
    assert.equal((await output(0)).body, 'npm ERR! missing package.json\r\n');
    assert.equal((await output(1)).body, '', 'nothing was saved for this task');
  });

  test('another user gets 404; a missing or malformed task index is named', async () => {
    for (const reply of [await other.call('GET', `/api/v1/workspaces/${id}/tasks`), await output(0, other)]) {
      assert.equal(reply.status, 404, reply.text);
      assert.equal(JSON.parse(reply.text).message, `workspace ${id} not found`);
    }
    const missing = await output(2);
    assert.equal(missing.status, 404);
    assert.equal(
      JSON.parse(missing.text).message,
      `workspace ${id} has no task 2: it has 2 task(s), numbered from 0`,
    );
    const malformed = await output('first');
    assert.equal(malformed.status, 400);
    assert.deepEqual(JSON.parse(malformed.text).details, [
      "index: a task's index is its position in the task list, from 0",
    ]);
  });

  test('the OpenAPI document lists both routes', async () => {
    const doc = await owner.call<{ paths: Record<string, Record<string, { responses: object }>> }>(
      'GET',
      '/api/v1/openapi.json',
    );
    assert.ok(doc.body.paths['/api/v1/workspaces/{id}/tasks']?.get);
    const out = doc.body.paths['/api/v1/workspaces/{id}/tasks/{index}/output']?.get as {
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    assert.deepEqual(Object.keys(out.responses['200']?.content ?? {}), ['text/plain']);
  });
});
