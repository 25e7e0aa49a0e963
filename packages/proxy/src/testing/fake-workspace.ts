// The proxy's test bench on loopback: a fake supervisor (HTTP + WebSocket, checks its token and
// echoes what it received), plain servers standing in for ports inside a workspace, the proxy
// itself listening on a real port, and a client that sends any Host header.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { AppError, SUPERVISOR_TOKEN_HEADER } from '@atelier/protocol';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { listen } from '../listen.js';
import { createProxy } from '../proxy.js';
import type { Proxy as EdgeProxy, RouteTarget } from '../types.js';

export const DOMAIN = 'atelier.test';
/** the port the proxy believes it is reached on (as behind a port mapping) */
export const PUBLIC_PORT = 8080;
export const SUPERVISOR_TOKEN = 'supervisor-secret-0123456789';

export interface Echo {
  server: 'supervisor' | 'port';
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Lets a test release the rest of a streamed response once it saw the first chunk. */
export interface StreamGate {
  release(): void;
  released: Promise<void>;
}

export function gate(): StreamGate {
  let release = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  return { release, released };
}

export interface Upstreams {
  /** requests the upstream servers received, newest last */
  seen: Echo[];
  /** what /stream waits for between its two chunks */
  streamGate: StreamGate;
  /** upstream sockets that closed (to see aborts travel) */
  closedSockets: number;
  /** upstream connections accepted (to see keep-alive reuse) */
  openedSockets: number;
}

/**
 * An HTTP server that answers:
 * - `/stream`: `first\n` at once, `second\n` after the test releases the gate (text/event-stream);
 * - `/download?bytes=N`: N bytes in 64 KiB chunks, honouring backpressure;
 * - anything else: JSON echo of method, path, headers and body;
 * and echoes WebSocket messages (prefixed with the server's name).
 */
function startEcho(name: Echo['server'], ups: Upstreams, requireToken: boolean): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    if (requireToken && req.headers[SUPERVISOR_TOKEN_HEADER] !== SUPERVISOR_TOKEN) {
      res.writeHead(401).end('supervisor token missing');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    ups.seen.push({
      server: name,
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('first\n');
      await ups.streamGate.released;
      res.end('second\n');
    } else if (url.pathname === '/download') {
      sendBytes(res, Number(url.searchParams.get('bytes')));
    } else {
      // `/own-headers`: an app with security headers of its own
      const own =
        url.pathname === '/own-headers'
          ? { 'content-security-policy': "default-src 'self'", 'strict-transport-security': 'max-age=0' }
          : {};
      res.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': [`app=1; Path=/`, `_atelier_test_ws_other_owner_=evil; Domain=ws.${DOMAIN}`],
        ...own,
      });
      res.end(
        JSON.stringify({ server: name, method: req.method, path: req.url, headers: req.headers, body }),
      );
    }
  });
  server.on('connection', (s) => {
    ups.openedSockets++;
    s.once('close', () => ups.closedSockets++);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (requireToken && req.headers[SUPERVISOR_TOKEN_HEADER] !== SUPERVISOR_TOKEN) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    ups.seen.push({
      server: name,
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: '',
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${name}: ${String(data)}`));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The byte i of a download is i % 251, so a test can check every byte without keeping them. */
function sendBytes(res: http.ServerResponse, total: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  const pattern = Buffer.alloc(251 * 261);
  for (let i = 0; i < pattern.length; i++) pattern[i] = i % 251;
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(pattern.length, total - sent);
      const ok = res.write(pattern.subarray(0, n));
      sent += n;
      if (!ok) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

export interface Bench {
  proxy: EdgeProxy;
  server: http.Server;
  port: number;
  ups: Upstreams;
  /** workspaces by id; tests change them freely */
  targets: Map<string, RouteTarget>;
  /** the log lines the proxy wrote */
  logs: string[];
  /** the ports "inside the workspace" that something listens on */
  workspacePorts: Map<number, number>;
  /** when set, connect() rejects with it */
  connectError: Error | undefined;
  /** connect() waits this long before it dials (a slow or stuck workspace) */
  connectDelayMs: number;
  close(): Promise<void>;
}

export const WSID = 'amber-panda-abcdefgh1';

export function target(over: Partial<RouteTarget> = {}): RouteTarget {
  return {
    workspaceId: WSID,
    instanceId: '11111111-2222-4333-8444-555555555555',
    ownerId: 'owner-1',
    phase: 'running',
    ownerToken: 'owner-token-abcdefghijklmnopqrstuv',
    isPublicPort: () => false,
    shared: false,
    ...over,
  };
}

export interface BenchOptions {
  scheme?: 'http' | 'https';
  connectTimeoutMs?: number;
  maxDashboardBodyBytes?: number;
}

export async function startBench(opts: BenchOptions = {}): Promise<Bench> {
  const ups: Upstreams = { seen: [], streamGate: gate(), closedSockets: 0, openedSockets: 0 };
  const supervisor = await startEcho('supervisor', ups, true);
  const portServer = await startEcho('port', ups, false);
  const workspacePorts = new Map([[3000, (portServer.address() as AddressInfo).port]]);
  const targets = new Map([[WSID, target()]]);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const dashboard = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`dashboard ${req.method} ${req.url}`);
  };
  const bench = {} as Bench;
  const proxy = createProxy({
    domain: DOMAIN,
    scheme: opts.scheme ?? 'http',
    ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.maxDashboardBodyBytes ? { maxDashboardBodyBytes: opts.maxDashboardBodyBytes } : {}),
    publicPort: PUBLIC_PORT,
    logger: pino({ level: 'debug' }, sink),
    dashboard: { request: dashboard },
    resolve: async (id) => targets.get(id),
    connect: async (_t, to) => {
      if (bench.connectError) throw bench.connectError;
      if (bench.connectDelayMs) await new Promise((r) => setTimeout(r, bench.connectDelayMs));
      const port = to === 'supervisor' ? (supervisor.address() as AddressInfo).port : workspacePorts.get(to);
      if (port === undefined) throw new AppError('unavailable', `nothing listens on port ${to}`);
      const socket = net.connect({ host: '127.0.0.1', port });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const headers: Record<string, string> =
        to === 'supervisor' ? { [SUPERVISOR_TOKEN_HEADER]: SUPERVISOR_TOKEN } : {};
      return { socket, headers };
    },
  });
  const server = await listen(proxy, { host: '127.0.0.1', port: 0 });
  Object.assign(bench, {
    proxy,
    server,
    port: (server.address() as AddressInfo).port,
    ups,
    targets,
    logs,
    workspacePorts,
    connectError: undefined,
    connectDelayMs: 0,
    async close() {
      proxy.close();
      server.closeAllConnections();
      for (const s of [server, supervisor, portServer]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  });
  return bench;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to the proxy on 127.0.0.1 with the given Host (e.g. `3000-<wsid>.ws.atelier.test`). */
export function send(
  bench: Bench,
  host: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: bench.port,
        method: opts.method ?? 'GET',
        path,
        headers: { host: `${host}:${bench.port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const ideHost = (id = WSID) => `${id}.ws.${DOMAIN}`;
export const portHost = (port: number, id = WSID) => `${port}-${id}.ws.${DOMAIN}`;
