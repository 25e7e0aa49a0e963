// The API client against a loopback server that speaks the documented contract (and some that do not).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeSupervisor, fakeInfo, fakePort } from './fake-supervisor.js';
import { SupervisorApi, SupervisorApiError, userMessage } from './supervisor-api.js';

let fake: FakeSupervisor;
let api: SupervisorApi;
const logged: string[] = [];

before(async () => {
  fake = await FakeSupervisor.start({
    info: fakeInfo(),
    tasks: [{ index: 0, name: 'dev', alias: 't1', state: 'running', exitCode: null }],
    ports: [fakePort(3000), fakePort(8080, { visibility: 'public' })],
    ideStatus: { ide: 'code', ready: true, error: null, extensions: [] },
  });
  api = new SupervisorApi(`${fake.url}/`, (m) => logged.push(m));
});
after(() => fake.close());

/** A server that answers every request with `status` and `body`, for answers the fake never gives. */
async function answering(status: number, body: string): Promise<{ url: string; close: () => void }> {
  const server = createServer((_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(body),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('SupervisorApi requests', () => {
  it('reads the workspace info, tasks and ports', async () => {
    assert.equal((await api.info()).workspaceId, 'amber-fox-1234abcd');
    assert.deepEqual(
      (await api.tasks()).tasks.map((t) => t.alias),
      ['t1'],
    );
    assert.deepEqual(
      (await api.ports()).ports.map((p) => p.port),
      [3000, 8080],
    );
  });

  it('sends heartbeats as the contract says', async () => {
    await api.heartbeat({ source: 'ide' });
    await api.heartbeat({ source: 'ide', closed: true });
    assert.deepEqual(fake.heartbeats.slice(-2), [
      { source: 'ide', closed: false },
      { source: 'ide', closed: true },
    ]);
  });

  it('changes a port visibility and returns the port', async () => {
    const port = await api.setPortVisibility(3000, 'public');
    assert.equal(port.visibility, 'public');
    assert.equal(fake.state.ports[0]?.visibility, 'public');
  });

  it('a refusal carries the message of the error body, for the user', async () => {
    fake.state.refuseVisibility = 'the organization does not allow public ports';
    try {
      await assert.rejects(api.setPortVisibility(8080, 'public'), (e: unknown) => {
        assert.ok(e instanceof SupervisorApiError);
        assert.equal(e.status, 403);
        assert.equal(e.code, 'permission_denied');
        assert.equal(userMessage(e), 'the organization does not allow public ports');
        assert.equal(
          e.message,
          'PUT /v1/ports/8080/visibility: the organization does not allow public ports',
        );
        return true;
      });
    } finally {
      delete fake.state.refuseVisibility;
    }
  });

  it('an answer that does not match the contract is an error that says what is wrong', async () => {
    const server = await answering(200, JSON.stringify({ workspaceId: 'w' }));
    try {
      await assert.rejects(new SupervisorApi(server.url).info(), (e: Error) => {
        assert.match(
          e.message,
          /^GET \/v1\/info: the answer does not match the contract \(instanceId: .+\): \{"workspaceId":"w"\}$/,
        );
        return true;
      });
    } finally {
      server.close();
    }
  });

  it('an error that is not JSON is shown as the raw text', async () => {
    const server = await answering(502, 'Bad Gateway');
    try {
      await assert.rejects(new SupervisorApi(server.url).tasks(), {
        message: 'GET /v1/tasks: HTTP 502: Bad Gateway',
      });
    } finally {
      server.close();
    }
  });

  it('an unreachable supervisor is named, with what to check', async () => {
    const server = await answering(200, '{}');
    server.close(); // a port that nothing listens on any more
    await assert.rejects(new SupervisorApi(server.url).info(), (e: Error) => {
      assert.match(
        e.message,
        /cannot reach the supervisor at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check ATELIER_SUPERVISOR_API/,
      );
      return true;
    });
  });

  it('builds the WebSocket URL of a terminal', () => {
    assert.equal(
      new SupervisorApi('http://127.0.0.1:22998').terminalAttachUrl('a b'),
      'ws://127.0.0.1:22998/v1/terminal/attach/a%20b',
    );
    assert.equal(
      new SupervisorApi('https://x.test/').terminalAttachUrl('t1'),
      'wss://x.test/v1/terminal/attach/t1',
    );
  });
});

describe('SupervisorApi streams', () => {
  it('observes the port list: now and on each change', async () => {
    const stop = new AbortController();
    const seen: number[][] = [];
    for await (const { ports } of api.observePorts(stop.signal)) {
      seen.push(ports.map((p) => p.port));
      if (seen.length === 1) fake.setPorts([...fake.state.ports, fakePort(5173)]);
      else break;
    }
    assert.deepEqual(seen, [
      [3000, 8080],
      [3000, 8080, 5173],
    ]);
  });

  it('observes the task list', async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    for await (const { tasks } of api.observeTasks(stop.signal)) {
      seen.push(tasks.map((t) => `${t.name}:${t.state}`).join());
      if (seen.length === 1)
        fake.setTasks([{ index: 0, name: 'dev', alias: 't1', state: 'exited', exitCode: 0 }]);
      else break;
    }
    assert.deepEqual(seen, ['dev:running', 'dev:exited']);
  });

  it('a stream cut mid-body says so', async () => {
    const stop = new AbortController();
    const stream = api.observeTasks(stop.signal);
    await stream.next();
    fake.dropStreams();
    await assert.rejects(stream.next(), {
      name: 'SupervisorApiError',
      message: 'GET /v1/tasks?observe=true: the stream broke off (other side closed)',
    });
  });

  it('notifications skip keep-alives and lines that break the contract', async () => {
    const stop = new AbortController();
    const stream = api.notifications(stop.signal);
    const first = stream.next();
    while (fake.notificationListeners === 0) await new Promise((r) => setTimeout(r, 10));
    fake.notify({});
    fake.notify({ kind: 'port', port: 3000, url: 'not checked', onOpen: 'bogus' } as never);
    fake.notify({ kind: 'port', port: 3000, url: 'https://3000-x.test/', onOpen: 'open-preview' });
    assert.deepEqual((await first).value, {
      kind: 'port',
      port: 3000,
      url: 'https://3000-x.test/',
      onOpen: 'open-preview',
    });
    assert.match(
      logged.at(-1) ?? '',
      /^GET \/v1\/notifications: the answer does not match the contract \(onOpen: /,
    );
    stop.abort();
    await assert.rejects(stream.next(), { name: 'AbortError' });
  });
});
