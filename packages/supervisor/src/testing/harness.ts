// Test support: a supervisor on a temporary folder with its API at hand (token, terminals, tunnel),
// its login shells in a home of their own.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import {
  supervisorPaths as P,
  SUPERVISOR_TOKEN_HEADER,
  type SupervisorConfig,
  supervisorConfigSchema,
  TUNNEL_PROTOCOL,
} from '@atelier/protocol';
import WebSocket from 'ws';
import { isolatedAccount } from '../account.js';
import { type RunningSupervisor, startSupervisor } from '../supervisor.js';

export const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';

export function configFor(contentInit: SupervisorConfig['contentInit']): SupervisorConfig {
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

export interface Harness {
  sup: RunningSupervisor;
  call(path: string, init?: { method?: string; body?: unknown; token?: string | null }): Promise<Response>;
}

export async function harness(dir: string, config: SupervisorConfig): Promise<Harness> {
  const home = join(dir, '.home');
  mkdirSync(home, { recursive: true });
  const sup = await startSupervisor(config, {
    host: '127.0.0.1',
    port: 0,
    workspaceApiPort: 0,
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
export function attach(port: number, alias: string) {
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

export function upgradeTunnel(port: number, target: string, token = TOKEN) {
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
