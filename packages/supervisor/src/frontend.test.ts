// The terminal page in a real Chromium, behind a small proxy that adds the token as Atelier's proxy does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SUPERVISOR_TOKEN_HEADER, supervisorConfigSchema } from '@atelier/protocol';
import { type Browser, chromium } from 'playwright-core';
import { isolatedAccount } from './account.js';
import { type RunningSupervisor, startSupervisor } from './supervisor.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'frontend-token-0123456789abcdef0123456789';
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Forwards requests and upgrades to `port`, adding the supervisor token. */
function tokenProxy(port: number): http.Server {
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, [SUPERVISOR_TOKEN_HEADER]: TOKEN },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = net.connect(port, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      lines.push(`${SUPERVISOR_TOKEN_HEADER}: ${TOKEN}`, '', '');
      upstream.write(lines.join('\r\n'));
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return server;
}

// page-side expressions (this file is type-checked without the DOM library)
const statusIs = (state: string) => `document.getElementById('status')?.dataset.state === '${state}'`;
const BUFFER_HAS_HELLO_42 = "window.atelierTerminal?.readBuffer().includes('hello-42')";

const skip = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed`;

describe('terminal page in Chromium', { skip }, () => {
  let dir: string;
  let sup: RunningSupervisor;
  let proxy: http.Server;
  let browser: Browser;
  let url: string;

  before(async () => {
    execFileSync(process.execPath, [join(packageDir, 'build.mjs')]);
    dir = mkdtempSync(join(tmpdir(), 'sup-page-'));
    const config = supervisorConfigSchema.parse({
      workspaceId: 'page-fox-1234abcd',
      instanceId: 'i1',
      ownerId: 'u1',
      token: TOKEN,
      workspaceUrl: 'http://page-fox-1234abcd.ws.localhost',
      checkoutLocation: '/workspace/project',
      contentInit: { kind: 'empty' },
    });
    sup = await startSupervisor(config, {
      host: '127.0.0.1',
      port: 0,
      workspaceApiPort: 0,
      workspaceRoot: dir,
      frontendDir: join(packageDir, 'dist/frontend'),
      account: isolatedAccount(mkdtempSync(join(dir, 'home-'))),
    });
    proxy = tokenProxy(sup.port);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    proxy?.close();
    await sup?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a terminal, runs a command, and re-attaches to the same one on reload', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    assert.equal(await page.title(), 'page-fox-1234abcd');
    await page.waitForFunction(statusIs('connected'));
    const alias = await page.evaluate('window.atelierTerminal?.alias');
    await page.keyboard.type('echo hello-$((6*7))');
    await page.keyboard.press('Enter');
    await page.waitForFunction(BUFFER_HAS_HELLO_42, undefined, {
      timeout: 5_000,
    });

    await page.reload();
    await page.waitForFunction(statusIs('connected'));
    assert.equal(await page.evaluate('window.atelierTerminal?.alias'), alias, 'same terminal after reload');
    await page.waitForFunction(BUFFER_HAS_HELLO_42);
    assert.equal(sup.terminals.list().length, 1);

    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await page.waitForFunction(statusIs('exit'));
    assert.match((await page.textContent('#status')) ?? '', /exit 0/);
  });
});
