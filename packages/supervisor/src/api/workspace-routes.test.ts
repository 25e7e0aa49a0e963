// The in-workspace API of a real supervisor (on a temp folder): info, tasks and stopping one,
// heartbeats relayed to the Atelier API with the workspace token, notifications delivered to a
// listening IDE (412 without one), waiting for a port, the API access for gp, and the tunnel's
// refusal of the supervisor's own ports.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  supervisorConfigSchema,
  type TasksStatus,
  workspaceApiPaths as W,
  type WorkspaceInfo,
} from '@atelier/protocol';
import { configFor, type Harness, harness, upgradeTunnel } from '../testing/harness.js';

describe('the in-workspace API', () => {
  let dir: string;
  let h: Harness;
  let base: string;
  let api: http.Server;
  const received: { path: string; auth: string; body: unknown }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atelier-wsapi-'));
    // the Atelier API as the workspace reaches it: records what it is sent
    api = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c) => {
        text += c;
      });
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          auth: req.headers.authorization ?? '',
          body: text ? JSON.parse(text) : null,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const apiPort = (api.address() as net.AddressInfo).port;
    const config = supervisorConfigSchema.parse({
      ...configFor({ kind: 'empty' }),
      tasks: [{ name: 'sleeper', command: 'echo started; sleep 600' }],
      heartbeatIntervalMs: 1_000,
      server: {
        apiUrl: `http://atelier.localhost:${apiPort}/api/v1`,
        token: 'atw_test-token',
        connectTo: { host: '127.0.0.1', port: apiPort },
        caPem: null,
      },
      info: {
        dashboardUrl: 'http://localhost:8080',
        portUrlTemplate: 'http://{port}-amber-fox-1234abcd.ws.localhost:8080',
        contextUrl: 'https://example.com/ada/site.git',
        repository: { cloneUrl: 'https://example.com/ada/site.git', owner: 'ada', name: 'site' },
        ssh: null,
      },
    });
    h = await harness(dir, config);
    base = `http://127.0.0.1:${h.sup.workspaceApiPort}`;
  });
  after(async () => {
    await h?.sup.close();
    await new Promise<void>((r) => api.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async <T>(path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('info names the workspace, its URLs and repository, and how often to send heartbeats', async () => {
    const { body } = await get<WorkspaceInfo>(W.info);
    assert.equal(body.workspaceId, 'amber-fox-1234abcd');
    assert.equal(body.portUrlTemplate, 'http://{port}-amber-fox-1234abcd.ws.localhost:8080');
    assert.deepEqual(body.repository, {
      cloneUrl: 'https://example.com/ada/site.git',
      owner: 'ada',
      name: 'site',
    });
    assert.equal(body.heartbeatIntervalMs, 1_000);
    assert.equal(body.ide, 'terminal');
  });

  test('a heartbeat reaches the Atelier API with the workspace token, for this instance', async () => {
    assert.equal((await post(W.heartbeat, { source: 'gp' })).status, 204);
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const beat = received.find((r) => r.path.endsWith('/heartbeat'));
    assert.ok(beat, JSON.stringify(received));
    assert.equal(beat.path, '/api/v1/workspaces/amber-fox-1234abcd/heartbeat');
    assert.equal(beat.auth, 'Bearer atw_test-token');
    assert.deepEqual(beat.body, { instanceId: 'inst-1', source: 'gp', closed: false });
    const bad = await post(W.heartbeat, { source: 'keyboard' });
    assert.equal(bad.status, 400);
  });

  test('tasks are listed, observed as NDJSON, and one is stopped on request', async () => {
    let tasks: TasksStatus['tasks'] = [];
    for (let i = 0; i < 100; i++) {
      tasks = (await get<TasksStatus>(W.tasks)).body.tasks;
      if (tasks[0]?.state === 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(tasks[0]?.state, 'running');
    const controller = new AbortController();
    const observed = await fetch(`${base}${W.tasks}?observe=true`, { signal: controller.signal });
    assert.equal(observed.headers.get('content-type'), 'application/x-ndjson');
    const reader = (observed.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.equal((JSON.parse(first.split('\n')[0] as string) as TasksStatus).tasks[0]?.state, 'running');
    assert.equal((await post(`${W.task}/0/stop`, {})).status, 204);
    let text = '';
    while (!text.includes('"exited"')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    assert.equal((await post(`${W.task}/7/stop`, {})).status, 404);
  });

  test('a notification needs a listening IDE (412), and reaches it when there is one', async () => {
    const none = await post(W.notify, { kind: 'open', path: '/workspace/project/README.md' });
    assert.equal(none.status, 412);
    assert.match(((await none.json()) as { message: string }).message, /no VS Code window is open/);
    const controller = new AbortController();
    const stream = await fetch(`${base}${W.notifications}`, { signal: controller.signal });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), '{}\n');
    const sent = await post(W.notify, { kind: 'preview', url: 'http://3000-x.ws.localhost:8080/' });
    assert.deepEqual(await sent.json(), { delivered: 1 });
    const line = new TextDecoder().decode((await reader.read()).value);
    assert.deepEqual(JSON.parse(line), {
      kind: 'preview',
      url: 'http://3000-x.ws.localhost:8080/',
      external: false,
    });
    controller.abort();
  });

  test('awaiting a port answers once something listens, and 504 when the time is up', async () => {
    const late = await get<{ message: string }>(`${W.port}/1/await?timeoutMs=300`);
    assert.equal(late.status, 504);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const ready = await get<{ port: number }>(`${W.port}/${port}/await?timeoutMs=5000`);
    assert.deepEqual([ready.status, ready.body], [200, { port }]);
    server.close();
  });

  test('gp gets the workspace token from here; the tunnel never reaches the supervisor’s own ports', async () => {
    const access = await get<{ token: string }>(W.serverToken);
    assert.equal(access.body.token, 'atw_test-token');
    for (const port of [22998, 22999, 23000]) {
      const reply = await upgradeTunnel(h.sup.port, String(port));
      assert.equal(reply.status, 403, `tunnel to ${port}: ${reply.body}`);
    }
  });
});
