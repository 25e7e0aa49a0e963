// Bytes through the proxy: WebSockets on both kinds of workspace host, responses that stream,
// a 100 MB download, request bodies, aborts in both directions, and upstream failures.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AppError, ownerCookieName } from '@atelier/protocol';
import WebSocket from 'ws';
import {
  type Bench,
  DOMAIN,
  type Echo,
  gate,
  ideHost,
  portHost,
  SUPERVISOR_TOKEN,
  send,
  startBench,
  target,
  WSID,
} from './testing/fake-workspace.js';

const TOKEN = target().ownerToken;
const COOKIE = ownerCookieName(DOMAIN, target().instanceId);
const owner = { 'x-atelier-owner-token': TOKEN };

let bench: Bench;
before(async () => {
  bench = await startBench();
});
after(() => bench.close());
beforeEach(() => {
  bench.targets.set(WSID, target());
  bench.ups.seen.length = 0;
  bench.ups.streamGate = gate();
  bench.connectError = undefined;
});

function openWs(host: string, path: string, headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${bench.port}${path}`, { headers: { host, ...headers } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

const nextMessage = (ws: WebSocket) =>
  new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));

/** Opens a GET and resolves with the response as soon as its head arrived. */
function openGet(host: string, path: string, headers: Record<string, string>) {
  const req = http.request({
    host: '127.0.0.1',
    port: bench.port,
    path,
    headers: { host, ...headers },
  });
  req.end();
  return new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
    req.once('response', (res) => resolve({ req, res }));
    req.once('error', reject);
  });
}

describe('WebSockets', () => {
  test('echo through a port host, with the owner header', async () => {
    const ws = await openWs(portHost(3000), '/socket', owner);
    ws.send('hello');
    assert.equal(await nextMessage(ws), 'port: hello');
    const big = Buffer.alloc(1 << 20, 7);
    ws.send(big);
    const back = await new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)));
    assert.ok(back.equals(big), 'a 1 MiB binary frame comes back unchanged');
    ws.close();
    const seen = bench.ups.seen.at(-1) as Echo;
    assert.equal(seen.headers['x-atelier-owner-token'], undefined);
  });

  test('echo through the IDE host with the owner cookie; the supervisor gets its token, not the cookie', async () => {
    const ws = await openWs(ideHost(), '/_supervisor/v1/terminal/attach/1', { cookie: `${COOKIE}=${TOKEN}` });
    ws.send('ls');
    assert.equal(await nextMessage(ws), 'supervisor: ls');
    ws.close();
    const seen = bench.ups.seen.at(-1) as Echo;
    assert.equal(seen.path, '/_supervisor/v1/terminal/attach/1');
    assert.equal(seen.headers['x-atelier-supervisor-token'], SUPERVISOR_TOKEN);
    assert.equal(seen.headers.cookie, undefined);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
  });

  test('refused without credential, with a wrong one, and on unknown hosts', async () => {
    await assert.rejects(openWs(portHost(3000), '/socket', {}), /status 401/);
    await assert.rejects(openWs(ideHost(), '/socket', { 'x-atelier-owner-token': 'guess' }), /status 403/);
    await assert.rejects(openWs(`x.${DOMAIN}`, '/socket', owner), /status 404/);
    await assert.rejects(openWs(DOMAIN, '/socket', {}), /status 404/, 'no dashboard upgrade handler');
    assert.equal(bench.ups.seen.length, 0);
  });

  test('proxy.close() ends open WebSockets', async () => {
    const ws = await openWs(portHost(3000), '/socket', owner);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    bench.proxy.close();
    await closed;
  });
});

describe('HTTP streaming', () => {
  test('a streamed response reaches the client before it ends', async () => {
    const { res } = await openGet(portHost(3000), '/stream', owner);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the first chunk was held back')), 5_000);
      res.once('data', (c) => {
        clearTimeout(timer);
        resolve(String(c));
      });
    });
    assert.equal(first, 'first\n', 'the first chunk arrived while the upstream still holds the rest');
    let rest = '';
    res.on('data', (c) => {
      rest += String(c);
    });
    bench.ups.streamGate.release();
    await new Promise((resolve) => res.once('end', resolve));
    assert.equal(rest, 'second\n');
  });

  test('a 100 MB download arrives complete and intact', { timeout: 60_000 }, async () => {
    const total = 100 * 1024 * 1024;
    const { res } = await openGet(portHost(3000), `/download?bytes=${total}`, owner);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], String(total));
    let received = 0;
    let bad = -1;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i += 4093)
        if (bad === -1 && chunk[i] !== ((received + i) % (251 * 261)) % 251) bad = received + i;
      received += chunk.length;
    }
    assert.equal(received, total);
    assert.equal(bad, -1, `byte ${bad} is wrong`);
  });

  test('a request body streams to the workspace', async () => {
    const body = 'x'.repeat(3 * 1024 * 1024);
    const r = await send(bench, ideHost(), '/upload', { method: 'POST', headers: owner, body });
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as Echo).body.length, body.length);
  });

  test('a client that goes away closes the connection to the workspace', async () => {
    const { req, res } = await openGet(portHost(3000), '/stream', owner);
    await new Promise((resolve) => res.once('data', resolve));
    const closedBefore = bench.ups.closedSockets;
    req.destroy();
    const deadline = Date.now() + 5_000;
    while (bench.ups.closedSockets === closedBefore && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(bench.ups.closedSockets > closedBefore, 'the upstream connection closed');
  });
});

describe('upstream failures', () => {
  test('a port nobody serves: 502, a page that retries itself for browsers, JSON otherwise', async () => {
    const json = await send(bench, portHost(4000), '/', { headers: owner });
    assert.equal(json.status, 502);
    assert.deepEqual(JSON.parse(json.body), {
      code: 'unavailable',
      message: `Port 4000 is not served in workspace ${WSID} (yet)`,
    });
    const page = await send(bench, portHost(4000), '/', { headers: { ...owner, accept: 'text/html' } });
    assert.equal(page.status, 502);
    assert.match(page.body, /<meta http-equiv="refresh" content="2">/);
    assert.match(page.body, /Port 4000 is not served in workspace/);
  });

  test('other errors take their status from the error code and never show a stack', async () => {
    // a new instance: no pooled connection from earlier tests to reuse
    bench.targets.set(WSID, target({ instanceId: '22222222-2222-4333-8444-555555555555' }));
    bench.connectError = new AppError('permission_denied', 'the tunnel refused this port');
    const refused = await send(bench, portHost(3000), '/', { headers: owner });
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.body), {
      code: 'permission_denied',
      message: 'the tunnel refused this port',
    });
    bench.connectError = new Error('boom');
    const failed = await send(bench, ideHost(), '/', { headers: owner });
    assert.equal(failed.status, 502);
    assert.doesNotMatch(failed.body, /boom|at .*\.ts/);
    const warned = bench.logs.map((l) => JSON.parse(l)).filter((l) => l.level === 40 && l.instanceId);
    assert.ok(
      warned.some((l) => l.workspaceId === WSID),
      'upstream errors are logged with the workspace',
    );
  });

  test('a WebSocket to a port nobody serves is refused with 502', async () => {
    await assert.rejects(openWs(portHost(4000), '/socket', owner), /status 502/);
  });
});
