// listen(): a server that serves the proxy, and a clear error when the port is taken.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { AppError } from '@atelier/protocol';
import { pino } from 'pino';
import { listen } from './listen.js';
import { createProxy } from './proxy.js';

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
