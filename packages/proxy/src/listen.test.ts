// listen(): a server that serves the proxy, and a clear error when the port is taken.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError } from '@atelier/protocol';
import { pino } from 'pino';
import { listen, listenRedirect } from './listen.js';
import { createProxy } from './proxy.js';
import { ensureLocalCa } from './tls/local-ca.js';

const proxy = createProxy({
  domain: 'atelier.test',
  scheme: 'http',
  publicPort: 8080,
  logger: pino({ level: 'silent' }),
  dashboard: { request: (_req, res) => res.end('dashboard') },
  resolve: async () => undefined,
  connect: async () => {
    throw new AppError('unavailable', 'no workspaces here');
  },
});

test('listen() serves the proxy on the given address', async () => {
  const server = await listen(proxy, { host: '127.0.0.1', port: 0 });
  const { port } = server.address() as AddressInfo;
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, headers: { host: 'atelier.test:8080' } }, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  assert.equal(body, 'dashboard');
  await new Promise((r) => server.close(r));
});

test('a port in use is an AppError that says what to do', async () => {
  const other = http.createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const { port } = other.address() as AddressInfo;
  try {
    await assert.rejects(listen(proxy, { host: '127.0.0.1', port }), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.message, `port ${port} on 127.0.0.1 is in use: stop the other program or pass --port`);
      return true;
    });
  } finally {
    await new Promise((r) => other.close(r));
  }
});

test('with tls, listen() serves the proxy over https', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-listen-'));
  try {
    const ca = await ensureLocalCa({ dir, domain: 'atelier.test' });
    const server = await listen(proxy, { host: '127.0.0.1', port: 0, tls: ca });
    const { port } = server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port,
            servername: 'atelier.test',
            ca: ca.caCert,
            headers: { host: `atelier.test:${port}` },
          },
          (res) => {
            res.setEncoding('utf8');
            let text = '';
            res.on('data', (c) => {
              text += c;
            });
            res.on('end', () => resolve(text));
          },
        )
        .on('error', reject);
    });
    assert.equal(body, 'dashboard');
    await new Promise((r) => server.close(r));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the redirect listener sends every host of the domain to https, others to the dashboard', async () => {
  const server = await listenRedirect({
    host: '127.0.0.1',
    port: 0,
    domain: 'atelier.test',
    httpsPort: 8443,
  });
  const { port } = server.address() as AddressInfo;
  const location = (host: string, path: string) =>
    new Promise<[number | undefined, string | undefined]>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
          res.resume();
          resolve([res.statusCode, res.headers.location]);
        })
        .on('error', reject);
    });
  try {
    assert.deepEqual(await location(`atelier.test:${port}`, '/workspaces?x=1'), [
      301,
      'https://atelier.test:8443/workspaces?x=1',
    ]);
    assert.deepEqual(await location('3000-abcdefghijk.ws.atelier.test', '/'), [
      301,
      'https://3000-abcdefghijk.ws.atelier.test:8443/',
    ]);
    assert.deepEqual(await location('evil.example', '/x'), [301, 'https://atelier.test:8443/x']);
  } finally {
    await new Promise((r) => server.close(r));
  }
  const on443 = await listenRedirect({ host: '127.0.0.1', port: 0, domain: 'atelier.test', httpsPort: 443 });
  try {
    const p = (on443.address() as AddressInfo).port;
    const loc = await new Promise<string | undefined>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: p, path: '/a', headers: { host: 'atelier.test' } }, (res) => {
          res.resume();
          resolve(res.headers.location);
        })
        .on('error', reject);
    });
    assert.equal(loc, 'https://atelier.test/a');
  } finally {
    await new Promise((r) => on443.close(r));
  }
});
