// Ports in the workspace API: the configured, served and owner-set ports listed with URL,
// visibility and state; PUT /api/v1/workspaces/{id}/ports/{port} changes a port's visibility.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type PortDto,
  portUrl,
  type WorkspaceConfig,
  type WorkspaceDto,
  workspaceConfigSchema,
} from '@atelier/protocol';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

const CONFIG: WorkspaceConfig = workspaceConfigSchema.parse({
  origin: 'gitpod',
  file: '.gitpod.yml',
  image: { kind: 'default' },
  ports: [
    { port: 8000, visibility: 'public', name: 'web', onOpen: 'open-browser' },
    { port: 8001 },
    { port: 9000, to: 9999, visibility: 'public', description: 'previews' },
  ],
});

describe('workspace ports', () => {
  let t: TestServer;
  let owner: TestClient;
  let id: string;

  before(async () => {
    t = await startTestServer({ checkRepository: async () => CONFIG });
    owner = (await t.userClient('ada')).client;
    const created = await owner.call<{ id: string; instanceId: string }>('POST', '/api/v1/workspaces', {
      contextUrl: 'https://example.com/ada/site.git',
    });
    assert.equal(created.status, 201, created.text);
    id = created.body.id;
  });
  after(() => t.close());

  const get = async () => {
    const reply = await owner.call<WorkspaceDto>('GET', `/api/v1/workspaces/${id}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.body.ports;
  };
  const summary = (ports: PortDto[]) => ports.map((p) => `${p.port} ${p.visibility} ${p.state}`);

  test('a workspace that is not running lists its configured single ports, not served', async () => {
    const ports = await get();
    assert.deepEqual(ports[0], {
      port: 8000,
      url: portUrl(t.urls, id, 8000),
      visibility: 'public',
      served: false,
      state: 'not-served',
      name: 'web',
      description: null,
      onOpen: 'open-browser',
      protocol: 'http',
    });
    assert.deepEqual(summary(ports), ['8000 public not-served', '8001 private not-served']);
  });

  test('a running workspace adds the ports served in it: a range gives its attributes, others are private', async () => {
    const latest = await t.repos.instances.latestForWorkspace(id as never);
    assert.ok(latest);
    await t.manager.advance(latest.id, 'running');
    t.manager.ports = [9100, 8001, 3000];
    try {
      const ports = await get();
      assert.deepEqual(summary(ports), [
        '3000 private served',
        '8000 public not-served',
        '8001 private served',
        '9100 public served',
      ]);
      assert.equal(ports.find((p) => p.port === 9100)?.description, 'previews');
      assert.deepEqual(
        ports.map((p) => p.served),
        [true, false, true, true],
      );
    } finally {
      t.manager.ports = [];
    }
  });

  test('the owner makes a port public or private; GET shows it from then on', async () => {
    const reply = await owner.call<PortDto>('PUT', `/api/v1/workspaces/${id}/ports/8001`, {
      visibility: 'public',
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.body.visibility, 'public');
    assert.equal(reply.body.url, portUrl(t.urls, id, 8001));
    const back = await owner.call<PortDto>('PUT', `/api/v1/workspaces/${id}/ports/8000`, {
      visibility: 'private',
    });
    assert.equal(back.body.visibility, 'private');
    const later = await owner.call<PortDto>('PUT', `/api/v1/workspaces/${id}/ports/4000`, {
      visibility: 'public',
    });
    assert.deepEqual(
      [later.status, later.body.state, later.body.visibility, later.body.name],
      [200, 'not-served', 'public', null],
      'a port nobody serves yet can be made public ahead',
    );
    assert.deepEqual(summary(await get()), [
      '4000 public not-served',
      '8000 private not-served',
      '8001 public not-served',
    ]);
  });

  test("another user's workspace and a missing one are 404; nothing changes", async () => {
    const { client: eve } = await t.userClient('eve');
    for (const path of [
      `/api/v1/workspaces/${id}/ports/8000`,
      '/api/v1/workspaces/nope-nope-abcdefgh1/ports/8000',
    ]) {
      const reply = await eve.call<{ code: string }>('PUT', path, { visibility: 'public' });
      assert.equal(reply.status, 404, path);
      assert.equal(reply.body.code, 'not_found');
    }
    assert.equal((await get()).find((p) => p.port === 8000)?.visibility, 'private');
    const anonymous = await t.browser().call('PUT', `/api/v1/workspaces/${id}/ports/8000`, {
      visibility: 'public',
    });
    assert.equal(anonymous.status, 401);
  });

  test('a bad port or visibility is a 400 naming the problem', async () => {
    const cases: [string, unknown, string, string[]][] = [
      [
        '0',
        { visibility: 'public' },
        '"0" is not a valid port',
        ['port: a port is a whole number from 1 to 65535'],
      ],
      [
        '65536',
        { visibility: 'public' },
        '"65536" is not a valid port',
        ['port: a port is a whole number from 1 to 65535'],
      ],
      [
        'http',
        { visibility: 'public' },
        '"http" is not a valid port',
        ['port: a port is a whole number from 1 to 65535'],
      ],
      [
        '8000',
        { visibility: 'shared' },
        'the request has 1 problem(s)',
        ['visibility: Invalid option: expected one of "private"|"public"'],
      ],
      [
        '8000',
        {},
        'the request has 1 problem(s)',
        ['visibility: Invalid option: expected one of "private"|"public"'],
      ],
      [
        '8000',
        { visibility: 'public', port: 8000 },
        'the request has 1 problem(s)',
        ['(root): Unrecognized key: "port"'],
      ],
    ];
    for (const [port, body, message, details] of cases) {
      const reply = await owner.call('PUT', `/api/v1/workspaces/${id}/ports/${port}`, body);
      assert.equal(reply.status, 400, `${port} ${JSON.stringify(body)}`);
      assert.deepEqual(reply.body, { code: 'invalid_argument', message, details });
    }
    assert.deepEqual(
      (await get()).map((p) => p.port),
      [4000, 8000, 8001],
    );
  });

  test('the OpenAPI document describes the route, its port parameter and its body', async () => {
    const doc = await t.browser().call<{
      paths: Record<string, { put?: { operationId: string; parameters: { name: string }[] } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>('GET', '/api/v1/openapi.json');
    const put = doc.body.paths['/api/v1/workspaces/{id}/ports/{port}']?.put;
    assert.equal(put?.operationId, 'putWorkspacesByIdPortsByPort');
    assert.deepEqual(
      put?.parameters.map((p) => p.name),
      ['id', 'port'],
    );
    assert.deepEqual(Object.keys(doc.body.components.schemas.SetPortVisibilityRequest?.properties ?? {}), [
      'visibility',
    ]);
    assert.ok(doc.body.components.schemas.Port?.properties?.state);
  });
});
