import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  supervisorPaths as P,
  SUPERVISOR_TOKEN_HEADER,
  type SupervisorConfig,
  supervisorConfigSchema,
  TUNNEL_PROTOCOL,
} from '@atelier/protocol';
import WebSocket from 'ws';
import { isolatedAccount } from './account.js';
import { makeRepo } from './content/repo-fixture.js';
import { type RunningSupervisor, startSupervisor } from './supervisor.js';

const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';

function configFor(contentInit: SupervisorConfig['contentInit']): SupervisorConfig {
  return supervisorConfigSchema.parse({
    workspaceId: 'amber-fox-1234abcd',
    instanceId: 'inst-1',
    ownerId: 'user-1',
    token: TOKEN,
    workspaceUrl: 'http://amber-fox-1234abcd.ws.localhost',
    checkoutLocation: '/workspace/project',
    contentInit,
    env: { FROM_CONFIG: 'yes' },
  });
}

interface Harness {
  sup: RunningSupervisor;
  call(path: string, init?: { method?: string; body?: unknown; token?: string | null }): Promise<Response>;
}

async function harness(dir: string, config: SupervisorConfig): Promise<Harness> {
  const home = join(dir, '.home');
  mkdirSync(home, { recursive: true });
  const sup = await startSupervisor(config, {
    host: '127.0.0.1',
    port: 0,
    workspaceRoot: dir,
    account: isolatedAccount(home),
  });
  return {
    sup,
    call: (path, init = {}) => {
      const headers: Record<string, string> = {};
      if (init.token !== null) headers[SUPERVISOR_TOKEN_HEADER] = init.token ?? TOKEN;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      return fetch(`http://127.0.0.1:${sup.port}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? null : JSON.stringify(init.body),
      });
    },
  };
}

/** A WebSocket client of terminal/attach that collects the output as text. */
function attach(port: number, alias: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${P.terminalAttach}/${alias}`, {
    headers: { [SUPERVISOR_TOKEN_HEADER]: TOKEN },
  });
  let output = '';
  let recent = ''; // the tail, searched while waiting (the whole output may be megabytes)
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    assert.ok(isBinary, 'output comes as binary frames');
    output += data.toString('utf8');
    recent = (recent + data.toString('utf8')).slice(-4096);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    closed,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    send: (msg: object) => ws.send(JSON.stringify(msg)),
    get output() {
      return output;
    },
    async waitFor(text: string, timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      if (output.includes(text)) return;
      while (!recent.includes(text)) {
        if (Date.now() > deadline)
          throw new Error(`no '${text}' in output ending ${JSON.stringify(recent.slice(-300))}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

function upgradeTunnel(port: number, target: string, token = TOKEN) {
  return new Promise<{ socket?: net.Socket; status?: number; body?: string }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: `${P.tunnel}/${target}`,
      headers: { Connection: 'Upgrade', Upgrade: TUNNEL_PROTOCOL, [SUPERVISOR_TOKEN_HEADER]: token },
    });
    req.on('upgrade', (res, socket) => {
      assert.equal(res.statusCode, 101);
      assert.equal(res.headers.upgrade, TUNNEL_PROTOCOL);
      resolve({ socket });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('supervisor API (git workspace)', () => {
  let dir: string;
  let h: Harness;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sup-api-'));
    const repo = makeRepo(join(dir, 'src'));
    h = await harness(join(dir, 'ws'), configFor({ kind: 'git', cloneUrl: repo.url }));
  });
  after(async () => {
    await h.sup.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses requests and upgrades without the right token', async () => {
    for (const token of [null, 'wrong']) {
      const res = await h.call(P.statusSupervisor, { token });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(body.code, 'unauthenticated');
      assert.match(body.message, /x-atelier-supervisor-token/);
    }
    assert.equal((await h.call('/', { token: null })).status, 401);
    const tunnel = await upgradeTunnel(h.sup.port, '80', 'wrong-token');
    assert.equal(tunnel.status, 401);
    assert.equal(JSON.parse(tunnel.body ?? '').code, 'unauthenticated');
  });

  it('answers supervisor and ide status', async () => {
    const sup = (await (await h.call(P.statusSupervisor)).json()) as { ok: boolean; uptimeMs: number };
    assert.equal(sup.ok, true);
    assert.equal(typeof sup.uptimeMs, 'number');
    assert.deepEqual(await (await h.call(P.statusIde)).json(), { ok: true });
  });

  it('holds status/content/wait/true until the clone is done', async () => {
    const res = await h.call(`${P.statusContent}/wait/true`);
    assert.deepEqual(await res.json(), {
      available: true,
      source: 'from-other',
      error: null,
      progress: null,
    });
  });

  it('refuses content/ready for a git workspace with 409', async () => {
    const res = await h.call(P.contentReady, { method: 'POST', body: { source: 'from-backup' } });
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as { code: string }).code, 'conflict');
  });

  it('lists a listening port, not its own', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const { port } = server.address() as net.AddressInfo;
    try {
      const { ports } = (await (await h.call(P.statusPorts)).json()) as {
        ports: { port: number; address: string }[];
      };
      assert.deepEqual(
        ports.find((p) => p.port === port),
        { port, address: '0.0.0.0' },
      );
      assert.ok(!ports.some((p) => p.port === 22999));
      assert.deepEqual(
        ports.map((p) => p.port),
        [...new Set(ports.map((p) => p.port))].sort((a, b) => a - b),
      );
    } finally {
      server.close();
    }
  });

  it('runs a terminal: open, attach, input, resize, replay, exit', async () => {
    const res = await h.call(P.terminalOpen, { method: 'POST', body: { cols: 80, rows: 24 } });
    assert.equal(res.status, 200);
    const info = (await res.json()) as { alias: string; title: string; pid: number; cwd: string };
    assert.equal(info.cwd, join(dir, 'ws', 'project'), 'starts in the checkout');
    assert.equal(info.title, 'bash');
    const listed = (await (await h.call(P.terminalList)).json()) as { terminals: { alias: string }[] };
    assert.deepEqual(
      listed.terminals.map((t) => t.alias),
      [info.alias],
    );

    const a = attach(h.sup.port, info.alias);
    await a.opened;
    a.send({ type: 'input', data: 'echo hello-$((6*7)) $FROM_CONFIG $GITPOD_WORKSPACE_ID\r' });
    await a.waitFor('hello-42 yes amber-fox-1234abcd');
    a.send({ type: 'resize', cols: 123, rows: 45 });
    a.send({ type: 'input', data: 'stty size\r' });
    await a.waitFor('45 123');

    const b = attach(h.sup.port, info.alias);
    await b.opened;
    await b.waitFor('hello-42 yes', 2_000); // scrollback replay
    a.send({ type: 'input', data: 'echo both-$((1+1))\r' });
    await b.waitFor('both-2');
    await a.waitFor('both-2');

    a.send({ type: 'input', data: 'exit 3\r' });
    assert.deepEqual(await a.closed, { code: 1000, reason: 'exit 3' });
    assert.deepEqual(await b.closed, { code: 1000, reason: 'exit 3' });
    assert.deepEqual(await (await h.call(P.terminalList)).json(), { terminals: [] });
  });

  it('pauses the shell while a client does not read, and resumes when it leaves', async () => {
    const { alias } = (await (await h.call(P.terminalOpen, { method: 'POST', body: {} })).json()) as {
      alias: string;
    };
    // a WebSocket client that completes the handshake and then never reads
    const stalled = net.connect(h.sup.port, '127.0.0.1');
    stalled.write(
      [
        `GET ${P.terminalAttach}/${alias} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        `${SUPERVISOR_TOKEN_HEADER}: ${TOKEN}`,
        '',
        '',
      ].join('\r\n'),
    );
    await new Promise((r) => stalled.once('data', r));
    stalled.pause();
    const reader = attach(h.sup.port, alias);
    await reader.opened;
    reader.send({
      type: 'input',
      data: "head -c 16000000 /dev/zero | tr '\\0' x | fold -w 200; echo DONE-$((2+3))\r",
    });
    await reader.waitFor('x'.repeat(200));
    // the output stops growing once the stalled client's buffer is full (a slow start is no failure)
    let sent = -1;
    for (let i = 0; i < 20 && reader.output.length !== sent; i++) {
      sent = reader.output.length;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(reader.output.length, sent, 'no output while a client is stalled');
    assert.ok(!reader.output.includes('DONE-5'), 'the shell waits for the stalled client');
    assert.ok(reader.output.length < 16_000_000, `${reader.output.length} bytes went out`);
    const t0 = Date.now();
    stalled.destroy();
    await reader.waitFor('DONE-5', 10_000);
    assert.ok(Date.now() - t0 < 5_000, `resumed after ${Date.now() - t0} ms`);
    h.sup.terminals.get(alias)?.hangUp();
  });

  it('closes a client that sends a bad frame with 1008', async () => {
    const { alias } = (await (await h.call(P.terminalOpen, { method: 'POST', body: {} })).json()) as {
      alias: string;
    };
    const a = attach(h.sup.port, alias);
    await a.opened;
    a.ws.send('{"type":"launch"}');
    const { code, reason } = await a.closed;
    assert.equal(code, 1008);
    assert.match(reason, /^bad message: type: /);
    h.sup.terminals.get(alias)?.hangUp();
  });

  it('answers 404 when attaching to an unknown terminal', async () => {
    const a = attach(h.sup.port, 'nope');
    await assert.rejects(a.opened, /Unexpected server response: 404/);
  });

  it('tunnels to a local TCP port', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const { port } = echo.address() as net.AddressInfo;
    try {
      const { socket } = await upgradeTunnel(h.sup.port, String(port));
      assert.ok(socket);
      socket.write('ping through the tunnel');
      const echoed = await new Promise<string>((r) => socket.once('data', (d) => r(d.toString())));
      assert.equal(echoed, 'ping through the tunnel');
      socket.destroy();
    } finally {
      echo.close();
    }
  });

  it('answers 502 when nothing listens, 400 for an invalid port', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((r) => probe.close(r));
    const none = await upgradeTunnel(h.sup.port, String(port));
    assert.equal(none.status, 502);
    assert.deepEqual(JSON.parse(none.body ?? ''), {
      code: 'unavailable',
      message: `nothing listens on port ${port} in this workspace`,
    });
    for (const bad of ['abc', '70000', '0']) {
      const res = await upgradeTunnel(h.sup.port, bad);
      assert.equal(res.status, 400, bad);
      assert.equal(JSON.parse(res.body ?? '').code, 'invalid_argument');
    }
  });

  it('serves the terminal page on any non-API path and 404 JSON for unknown API paths', async () => {
    for (const path of ['/', '/some/folder']) {
      const res = await h.call(path);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /<title>amber-fox-1234abcd<\/title>/);
      assert.match(html, /src="\/_supervisor\/frontend\/terminal.js"/);
    }
    const res = await h.call('/_supervisor/v1/nope');
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { code: string }).code, 'not_found');
  });
});

describe('supervisor API (backup workspace)', () => {
  let dir: string;
  let h: Harness;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sup-backup-'));
    h = await harness(dir, configFor({ kind: 'backup' }));
  });
  after(async () => {
    await h.sup.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for content/ready from the manager, then reports from-backup', async () => {
    const before = (await (await h.call(P.statusContent)).json()) as { available: boolean };
    assert.equal(before.available, false);
    const waiting = h.call(`${P.statusContent}/wait/true`).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 200));
    const bad = await h.call(P.contentReady, { method: 'POST', body: { source: 'from-nowhere' } });
    assert.equal(bad.status, 400);
    const ok = await h.call(P.contentReady, { method: 'POST', body: { source: 'from-backup' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await waiting, { available: true, source: 'from-backup', error: null, progress: null });
    const again = await h.call(P.contentReady, { method: 'POST', body: { source: 'from-backup' } });
    assert.equal(again.status, 200);
    const other = await h.call(P.contentReady, { method: 'POST', body: { source: 'from-other' } });
    assert.equal(other.status, 409);
  });
});

describe('tasks', () => {
  const tasks = [
    {
      name: 'web',
      before: 'echo before-$((1+1))',
      init: 'echo init-ran > init.txt\necho init-$((2+2))',
      command: 'echo command-$((3+3)) $TASK_VAR',
      env: { TASK_VAR: 'from-the-task' },
    },
    { name: 'second', command: 'echo second-$((5+5))', env: {} },
  ];
  const withTasks = (contentInit: SupervisorConfig['contentInit']) =>
    supervisorConfigSchema.parse({ ...configFor(contentInit), tasks });

  async function taskTerminals(h: Harness): Promise<{ alias: string; title: string }[]> {
    for (let i = 0; i < 100; i++) {
      const { terminals: list } = (await (await h.call(P.terminalList)).json()) as {
        terminals: { alias: string; title: string }[];
      };
      if (list.length >= tasks.length) return list;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the task terminals did not open');
  }

  it('a fresh start runs before, init and command in a terminal per task, named after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sup-tasks-'));
    const h = await harness(dir, withTasks({ kind: 'empty' }));
    try {
      const list = await taskTerminals(h);
      assert.deepEqual(
        list.map((t) => t.title),
        ['web', 'second'],
      );
      const web = attach(h.sup.port, list[0]?.alias ?? '');
      await web.waitFor('command-6 from-the-task');
      assert.ok(web.output.indexOf('before-2') < web.output.indexOf('init-4'), 'before runs first');
      assert.ok(web.output.indexOf('init-4') < web.output.indexOf('command-6'), 'init runs before command');
      const second = attach(h.sup.port, list[1]?.alias ?? '');
      await second.waitFor('second-10');
      web.ws.close();
      second.ws.close();
    } finally {
      await h.sup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the tasks and serves their output: pending, running, exited, still readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sup-tasks-'));
    const h = await harness(dir, withTasks({ kind: 'backup' }));
    const statuses = async () =>
      ((await (await h.call(P.statusTasks)).json()) as { tasks: Record<string, unknown>[] }).tasks;
    const output = async (index: number | string) => {
      const res = await h.call(`${P.taskOutput}/${index}`);
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    /** The output once it holds `text` (the shell writes it in its own time). */
    const outputWith = async (index: number, text: string) => {
      for (let i = 0; i < 100; i++) {
        const out = await output(index);
        if (out.text.includes(text)) return out.text;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(
        `task ${index}'s output never showed '${text}': ${JSON.stringify((await output(index)).text)}`,
      );
    };
    try {
      // content is not ready yet: the tasks wait, and have no output
      assert.deepEqual(await statuses(), [
        { index: 0, name: 'web', alias: null, state: 'pending', exitCode: null },
        { index: 1, name: 'second', alias: null, state: 'pending', exitCode: null },
      ]);
      assert.deepEqual(await output(1), { status: 200, type: 'text/plain; charset=utf-8', text: '' });

      await h.call(P.contentReady, { method: 'POST', body: { source: 'from-backup' } });
      const list = await taskTerminals(h);
      const running = await statuses();
      assert.deepEqual(
        running.map((t) => [t.name, t.state, t.exitCode]),
        [
          ['web', 'running', null],
          ['second', 'running', null],
        ],
      );
      assert.deepEqual(
        running.map((t) => t.alias),
        list.map((t) => t.alias),
        'each task names the terminal it runs in',
      );
      const second = attach(h.sup.port, String(running[1]?.alias));
      await second.waitFor('second-10');
      assert.match((await output(1)).text, /second-10/);
      await outputWith(0, 'command-6 from-the-task');

      // the task's shell exits: the task says so, and its output stays readable
      second.send({ type: 'input', data: 'echo bye-$((7*6)); exit 3\r' });
      await second.closed;
      const after = await statuses();
      assert.deepEqual(after[1], {
        index: 1,
        name: 'second',
        alias: running[1]?.alias,
        state: 'exited',
        exitCode: 3,
      });
      assert.equal(after[0]?.state, 'running');
      const kept = await output(1);
      assert.match(kept.text, /second-10[\s\S]*bye-42/);

      const missing = await output(2);
      assert.equal(missing.status, 404);
      assert.match(JSON.parse(missing.text).message, /no task 2: this workspace has 2 task\(s\)/);
      assert.equal((await output('x')).status, 400);
      assert.equal((await output('-1')).status, 400);
    } finally {
      await h.sup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a start from a backup runs before and command, not init', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sup-tasks-'));
    const h = await harness(dir, withTasks({ kind: 'backup' }));
    try {
      const ready = await h.call(P.contentReady, { method: 'POST', body: { source: 'from-backup' } });
      assert.equal(ready.status, 200);
      const list = await taskTerminals(h);
      const web = attach(h.sup.port, list[0]?.alias ?? '');
      await web.waitFor('command-6 from-the-task');
      assert.ok(web.output.includes('before-2'));
      assert.ok(!web.output.includes('init-4'), `init did not run:\n${web.output}`);
      web.ws.close();
    } finally {
      await h.sup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
