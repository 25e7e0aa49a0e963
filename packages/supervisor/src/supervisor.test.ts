// The supervisor's HTTP API: token checks, status, content, ports, terminals and the TCP tunnel.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { supervisorPaths as P, SUPERVISOR_TOKEN_HEADER } from '@atelier/protocol';
import { makeRepo } from './content/repo-fixture.js';
import { attach, configFor, type Harness, harness, TOKEN, upgradeTunnel } from './testing/harness.js';

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
    await h.sup.terminals.get(alias)?.hangUp();
  });

  it('kills a shell that ignores the hang-up once the grace period is over', async () => {
    const { alias } = (await (await h.call(P.terminalOpen, { method: 'POST', body: {} })).json()) as {
      alias: string;
    };
    const a = attach(h.sup.port, alias);
    await a.opened;
    a.send({ type: 'input', data: "trap '' HUP; echo IGNORING-$((4*5))\r" });
    await a.waitFor('IGNORING-20');
    const terminal = h.sup.terminals.get(alias);
    assert.ok(terminal);
    const t0 = Date.now();
    await terminal.hangUp(300);
    assert.ok(Date.now() - t0 >= 250, 'the shell ignored SIGHUP, so it lived out the grace period');
    assert.equal(terminal.exitCode !== undefined, true);
    assert.equal(h.sup.terminals.get(alias), undefined, 'the terminal is gone from the list');
    assert.equal((await a.closed).code, 1000);
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
    await h.sup.terminals.get(alias)?.hangUp();
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
