// The routes gp and the supervisor use, with the workspace token: heartbeats (activity and "IDE
// closed"), the inactivity time-out (user limits), the variables of the workspace, preferences — and
// what a workspace token may not reach.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type InstanceId,
  type WorkspaceDto,
  type WorkspaceId,
  workspaceConfigSchema,
} from '@atelier/protocol';
import { startTestServer, TestClient, type TestServer } from '../testing/test-server.js';

describe('workspace token, heartbeats and time-outs', () => {
  let t: TestServer;
  let owner: TestClient;
  let other: TestClient;
  let id: WorkspaceId;
  let otherId: WorkspaceId;
  let instanceId: InstanceId;
  let wsClient: TestClient;

  /** A workspace of `client`'s user, its instance running, with the token the manager would give it. */
  async function running(client: TestClient, repo: string) {
    const created = await client.call<{ id: WorkspaceId; instanceId: InstanceId }>(
      'POST',
      '/api/v1/workspaces',
      {
        contextUrl: `https://example.com/ada/${repo}.git`,
      },
    );
    assert.equal(created.status, 201, created.text);
    const { token } = await t.workspaceClient(created.body.instanceId);
    return { id: created.body.id, instanceId: created.body.instanceId, token };
  }

  before(async () => {
    t = await startTestServer({
      config: { workspace: { timeouts: { inactivity: '30m', userMax: '24h' } } },
      checkRepository: async () =>
        workspaceConfigSchema.parse({ origin: 'default', image: { kind: 'default' } }),
    });
    owner = (await t.userClient('ada')).client;
    other = (await t.userClient('bob')).client;
    const mine = await running(owner, 'site');
    id = mine.id;
    instanceId = mine.instanceId;
    wsClient = new TestClient(t.server.app, 'http://localhost:8080', mine.token);
    otherId = (await running(other, 'other')).id;
  });
  after(() => t.close());

  test('a heartbeat records the activity and its source; closed marks the IDE closed, the next beat clears it', async () => {
    const beat = (source: string, closed = false) =>
      wsClient.call('POST', `/api/v1/workspaces/${id}/heartbeat`, { instanceId, source, closed });
    assert.equal((await beat('ide')).status, 204);
    let ws = (await owner.call<WorkspaceDto>('GET', `/api/v1/workspaces/${id}`)).body;
    assert.equal(ws.activity?.lastActivitySource, 'ide');
    assert.equal(ws.activity?.ideClosedAt, null);
    assert.equal(ws.activity?.stopsBecause, 'inactivity');

    assert.equal((await beat('ide', true)).status, 204);
    ws = (await owner.call<WorkspaceDto>('GET', `/api/v1/workspaces/${id}`)).body;
    assert.ok(ws.activity?.ideClosedAt, 'the IDE counts as closed');
    assert.equal(ws.activity?.stopsBecause, 'ide-closed');
    const closedIn = Date.parse(ws.activity?.stopsAt ?? '') - Date.now();
    assert.ok(closedIn > 60_000 && closedIn <= 120_000, `stops ${closedIn} ms after closing (2m)`);

    assert.equal((await beat('terminal')).status, 204);
    ws = (await owner.call<WorkspaceDto>('GET', `/api/v1/workspaces/${id}`)).body;
    assert.equal(ws.activity?.ideClosedAt, null);
    assert.equal(ws.activity?.lastActivitySource, 'terminal');
  });

  test('a heartbeat for another instance, or a stopped one, is refused', async () => {
    const wrong = await wsClient.call('POST', `/api/v1/workspaces/${id}/heartbeat`, {
      instanceId: '00000000-0000-4000-8000-000000000000',
      source: 'ide',
    });
    assert.equal(wrong.status, 403, wrong.text);
    const bad = await wsClient.call('POST', `/api/v1/workspaces/${id}/heartbeat`, {
      instanceId,
      source: 'mouse',
    });
    assert.equal(bad.status, 400, bad.text);
  });

  test('a workspace token reaches its own workspace only, and only what gp needs', async () => {
    const refused: [string, string, unknown?][] = [
      ['GET', `/api/v1/workspaces/${otherId}`],
      ['POST', `/api/v1/workspaces/${otherId}/stop`],
      ['GET', `/api/v1/workspaces/${otherId}/timeout`],
      ['GET', `/api/v1/workspaces/${id}/owner-token`],
      ['DELETE', `/api/v1/workspaces/${id}`],
      ['GET', '/api/v1/workspaces'],
      ['POST', '/api/v1/workspaces', { contextUrl: 'https://example.com/a/b.git' }],
      ['GET', '/api/v1/tokens'],
      ['POST', '/api/v1/tokens', { name: 'escalate' }],
      ['GET', '/api/v1/user/ssh-keys'],
      ['PUT', `/api/v1/workspaces/${id}/sharing`, { shared: true }],
    ];
    for (const [method, path, body] of refused) {
      const reply = await wsClient.call(method, path, body);
      assert.equal(reply.status, 403, `${method} ${path} → ${reply.status} ${reply.text}`);
    }
    for (const path of [
      `/api/v1/workspaces/${id}`,
      `/api/v1/workspaces/${id}/timeout`,
      `/api/v1/workspaces/${id}/ports`,
    ]) {
      const reply = await wsClient.call('GET', path);
      assert.equal(reply.status, 200, `${path} → ${reply.status} ${reply.text}`);
    }
  });

  test('the token dies with its instance', async () => {
    const { id: soon, instanceId: soonInstance, token } = await running(owner, 'short');
    const client = new TestClient(t.server.app, 'http://localhost:8080', token);
    assert.equal((await client.call('GET', `/api/v1/workspaces/${soon}/timeout`)).status, 200);
    await t.repos.instances.transition(soonInstance, 'stopped');
    const reply = await client.call('GET', `/api/v1/workspaces/${soon}/timeout`);
    assert.equal(reply.status, 401, reply.text);
    assert.match(reply.body ? JSON.stringify(reply.body) : '', /no longer valid/);
  });

  test('time-out: set within 24h, refused above with the limit named; the workspace then stops later', async () => {
    const set = await wsClient.call<{ inactivity: string; source: string }>(
      'PUT',
      `/api/v1/workspaces/${id}/timeout`,
      {
        timeout: '3h',
      },
    );
    assert.equal(set.status, 200, set.text);
    assert.deepEqual([set.body.inactivity, set.body.source], ['3h', 'workspace']);
    const ws = (await owner.call<WorkspaceDto>('GET', `/api/v1/workspaces/${id}`)).body;
    assert.equal(ws.activity?.inactivityTimeoutMs, 3 * 3_600_000);
    const tooLong = await wsClient.call('PUT', `/api/v1/workspaces/${id}/timeout`, { timeout: '48h' });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.text, /longer than the 24h/);
    const malformed = await wsClient.call('PUT', `/api/v1/workspaces/${id}/timeout`, { timeout: 'soon' });
    assert.equal(malformed.status, 400);
  });

  test('preferences: the IDE and a default time-out; an invalid one is refused', async () => {
    const empty = await owner.call<{ preferences: object; defaults: { ide: string; timeout: string } }>(
      'GET',
      '/api/v1/user/preferences',
    );
    assert.deepEqual(empty.body.preferences, {});
    assert.deepEqual(empty.body.defaults, { ide: 'code', timeout: '30m' });
    const saved = await owner.call('PUT', '/api/v1/user/preferences', { ide: 'terminal', timeout: '1h' });
    assert.equal(saved.status, 200, saved.text);
    const user = await t.repos.users.findByName('ada');
    assert.deepEqual(JSON.parse(user?.preferences ?? '{}'), { ide: 'terminal', timeout: '1h' });
    assert.equal((await owner.call('PUT', '/api/v1/user/preferences', { ide: 'emacs' })).status, 400);
  });

  test('the variables of the workspace come with values, for gp env', async () => {
    const put = await owner.call('PUT', '/api/v1/user/env-vars', {
      name: 'GREETING',
      value: 'hello',
      repositoryPattern: 'ada/site',
    });
    assert.ok(put.status === 200 || put.status === 201, put.text);
    await owner.call('PUT', '/api/v1/user/env-vars', {
      name: 'ELSEWHERE',
      value: 'x',
      repositoryPattern: 'ada/other',
    });
    const vars = await wsClient.call<{ variables: { name: string; value: string }[] }>(
      'GET',
      `/api/v1/workspaces/${id}/env-vars`,
    );
    assert.equal(vars.status, 200, vars.text);
    assert.deepEqual(vars.body.variables, [
      { name: 'GREETING', value: 'hello', repositoryPattern: 'ada/site' },
    ]);
  });
});

test('the OpenAPI document describes the heartbeat, time-out, ports, env-vars and preferences routes', async () => {
  const t = await startTestServer();
  try {
    const doc = (
      await t
        .browser()
        .call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json')
    ).body;
    for (const [path, methods] of [
      ['/api/v1/workspaces/{id}/heartbeat', ['post']],
      ['/api/v1/workspaces/{id}/timeout', ['get', 'put']],
      ['/api/v1/workspaces/{id}/ports', ['get']],
      ['/api/v1/workspaces/{id}/env-vars', ['get']],
      ['/api/v1/user/preferences', ['get', 'put']],
    ] as const) {
      for (const method of methods) assert.ok(doc.paths[path]?.[method], `${method} ${path}`);
    }
  } finally {
    await t.close();
  }
});
