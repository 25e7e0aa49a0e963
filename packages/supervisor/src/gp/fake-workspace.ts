// Test support: a fake of what gp talks to — the supervisor's in-workspace API (/v1/…, with the terminal
// WebSocket) and the Atelier server's workspace endpoints (/api/v1/…) — on loopback, speaking their
// documented contracts, with its state open to the test; and a runner that captures gp's output.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Duplex, PassThrough, Writable } from 'node:stream';
import {
  matchesRepositoryPattern,
  notificationSchema,
  type PortDto,
  parseDuration,
  putUserEnvVarRequestSchema,
  setPortVisibilityRequestSchema,
  setWorkspaceTimeoutRequestSchema,
  type TaskStatus,
  type WorkspaceInfo,
  type WorkspaceTimeoutDto,
} from '@atelier/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { createContext, type GpContext } from './context.js';
import { runGp } from './gp.js';

export const WORKSPACE_TOKEN = 'ws-token-do-not-print-0123456789';

export interface StoredVar {
  id: string;
  name: string;
  value: string;
  repositoryPattern: string;
}

export interface FakeState {
  info: WorkspaceInfo;
  tasks: TaskStatus[];
  ports: PortDto[];
  /** IDE windows listening for notifications; 0 → POST /v1/notify answers 412 */
  ideWindows: number;
  notifications: unknown[];
  timeout: WorkspaceTimeoutDto;
  envVars: StoredVar[];
  stopped: number;
  stoppedTasks: number[];
  /** called when a client attaches to a terminal */
  onAttach?: (alias: string, ws: WebSocket) => void;
  /** terminals that ended after the task list was read: attaching answers 404 */
  goneTerminals: Set<string>;
  /** `METHOD /path` of every request, in order */
  requests: string[];
}

export function defaultInfo(): WorkspaceInfo {
  return {
    workspaceId: 'amber-fox-1234abcd',
    instanceId: 'inst-1',
    ownerId: 'user-1',
    workspaceUrl: 'https://amber-fox-1234abcd.ws.example.com',
    dashboardUrl: 'https://example.com',
    portUrlTemplate: 'https://{port}-amber-fox-1234abcd.ws.example.com',
    contextUrl: 'https://github.com/Acme/Widgets',
    checkoutLocation: '/workspace/widgets',
    workspaceLocation: '/workspace/widgets',
    repository: { cloneUrl: 'https://github.com/Acme/Widgets.git', owner: 'Acme', name: 'Widgets' },
    ide: 'code',
    heartbeatIntervalMs: 30_000,
    ssh: { host: 'ssh.example.com', port: 2222, user: 'amber-fox-1234abcd' },
  };
}

export function port(n: number, over: Partial<PortDto> = {}): PortDto {
  return {
    port: n,
    url: `https://${n}-amber-fox-1234abcd.ws.example.com`,
    visibility: 'private',
    served: false,
    state: 'not-served',
    name: null,
    description: null,
    onOpen: 'notify',
    protocol: 'http',
    ...over,
  };
}

export class FakeWorkspace {
  readonly state: FakeState;
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor() {
    this.state = {
      info: defaultInfo(),
      tasks: [],
      ports: [],
      ideWindows: 1,
      notifications: [],
      timeout: {
        inactivityMs: 1_800_000,
        inactivity: '30m',
        source: 'default',
        userTimeoutsAllowed: true,
        maxMs: 86_400_000,
        afterCloseMs: 300_000,
        maxLifetimeMs: 129_600_000,
      },
      envVars: [],
      stopped: 0,
      stoppedTasks: [],
      goneTerminals: new Set(),
      requests: [],
    };
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => send(res, 500, { code: 'internal', message: e.message }));
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  static async start(): Promise<FakeWorkspace> {
    const fake = new FakeWorkspace();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Runs gp against this fake; stdin is given, stdout and stderr are returned. */
  run(argv: string[], opts: Partial<RunOptions> = {}): Promise<GpResult> {
    return runAgainst(this.url, argv, opts);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.state.requests.push(`${req.method} ${url.pathname}`);
    const body = await readBody(req);
    if (url.pathname.startsWith('/api/v1/')) {
      if (req.headers.authorization !== `Bearer ${WORKSPACE_TOKEN}`) {
        return send(res, 401, { code: 'unauthenticated', message: 'no valid token' });
      }
      return this.serverApi(
        req.method ?? 'GET',
        `${url.pathname.slice('/api/v1/'.length)}${url.search}`,
        body,
        res,
      );
    }
    return this.supervisorApi(req.method ?? 'GET', url, body, res);
  }

  private async supervisorApi(method: string, url: URL, body: unknown, res: http.ServerResponse) {
    const s = this.state;
    const route = `${method} ${url.pathname}`;
    if (route === 'GET /v1/info') return send(res, 200, s.info);
    if (route === 'GET /v1/tasks') return send(res, 200, { tasks: s.tasks });
    if (route === 'GET /v1/ports') return send(res, 200, { ports: s.ports });
    if (route === 'GET /v1/token/server') {
      return send(res, 200, {
        apiUrl: `${this.url}/api/v1`,
        token: WORKSPACE_TOKEN,
        connectTo: null,
        caPem: null,
      });
    }
    if (route === 'POST /v1/notify') {
      if (s.ideWindows === 0)
        return send(res, 412, { code: 'failed_precondition', message: 'no IDE listens' });
      s.notifications.push(notificationSchema.parse(body));
      return send(res, 200, { delivered: s.ideWindows });
    }
    const stop = /^POST \/v1\/tasks\/(\d+)\/stop$/.exec(route);
    if (stop) {
      const task = s.tasks.find((t) => t.index === Number(stop[1]));
      if (!task) return send(res, 404, { code: 'not_found', message: `no task ${stop[1]}` });
      s.stoppedTasks.push(task.index);
      return send(res, 204);
    }
    const wait = /^GET \/v1\/ports\/(\d+)\/await$/.exec(route);
    if (wait) return this.awaitPort(Number(wait[1]), Number(url.searchParams.get('timeoutMs') ?? 0), res);
    return send(res, 404, { code: 'not_found', message: `no route ${route}` });
  }

  private async awaitPort(n: number, timeoutMs: number, res: http.ServerResponse) {
    const deadline = Date.now() + timeoutMs;
    while (!this.state.ports.some((p) => p.port === n && p.served)) {
      if (res.destroyed) return; // the client went away
      if (Date.now() >= deadline)
        return send(res, 504, { code: 'unavailable', message: `port ${n} not served` });
      await new Promise((r) => setTimeout(r, 20));
    }
    return send(res, 200, { port: n });
  }

  private serverApi(method: string, path: string, body: unknown, res: http.ServerResponse) {
    const s = this.state;
    const ws = `workspaces/${s.info.workspaceId}`;
    const route = `${method} ${path}`;
    if (route === `GET ${ws}/timeout`) return send(res, 200, s.timeout);
    if (route === `PUT ${ws}/timeout`) return this.putTimeout(body, res);
    if (route === `POST ${ws}/stop`) {
      s.stopped++;
      return send(res, 202, {});
    }
    if (route === `GET ${ws}/ports`) return send(res, 200, { ports: s.ports });
    const portMatch = new RegExp(`^PUT ${ws}/ports/(\\d+)$`).exec(route);
    if (portMatch) {
      const { visibility } = setPortVisibilityRequestSchema.parse(body);
      const n = Number(portMatch[1]);
      const existing = s.ports.find((p) => p.port === n);
      const updated = { ...(existing ?? port(n)), visibility };
      s.ports = [...s.ports.filter((p) => p.port !== n), updated];
      return send(res, 200, updated);
    }
    const credentials = new RegExp(`^GET ${ws}/git-credentials\\?host=(.+)$`).exec(`${method} ${path}`);
    if (credentials) {
      const host = decodeURIComponent(credentials[1] as string);
      if (host !== 'git.example.com') {
        return send(res, 404, { code: 'not_found', message: `no SCM provider is configured for ${host}` });
      }
      return send(res, 200, { username: 'x-access-token', password: 'scm-token-for-git' });
    }
    if (route === `GET ${ws}/env-vars`) {
      const repo = `${s.info.repository?.owner}/${s.info.repository?.name}`;
      const variables = s.envVars.filter((v) => matchesRepositoryPattern(v.repositoryPattern, repo));
      return send(res, 200, { variables: variables.map(({ id: _id, ...v }) => v) });
    }
    return this.userEnvVars(method, path, body, res);
  }

  private putTimeout(body: unknown, res: http.ServerResponse) {
    const s = this.state;
    if (!s.timeout.userTimeoutsAllowed) {
      return send(res, 403, {
        code: 'permission_denied',
        message: 'the administrator does not allow users to change time-outs',
      });
    }
    const { timeout } = setWorkspaceTimeoutRequestSchema.parse(body);
    const ms = parseDuration(timeout) ?? 0;
    if (ms > s.timeout.maxMs) {
      return send(res, 400, { code: 'invalid_argument', message: 'a time-out is at most 24h' });
    }
    s.timeout = { ...s.timeout, inactivityMs: ms, inactivity: timeout, source: 'workspace' };
    return send(res, 200, s.timeout);
  }

  private userEnvVars(method: string, path: string, body: unknown, res: http.ServerResponse) {
    const s = this.state;
    const dto = (v: StoredVar) => ({
      id: v.id,
      name: v.name,
      repositoryPattern: v.repositoryPattern,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    // the real server answers a bare array (packages/server/src/routes/env-var-routes.ts)
    if (method === 'GET' && path === 'user/env-vars') return send(res, 200, s.envVars.map(dto));
    if (method === 'PUT' && path === 'user/env-vars') {
      const parsed = putUserEnvVarRequestSchema.safeParse(body);
      if (!parsed.success) return send(res, 400, { code: 'invalid_argument', message: parsed.error.message });
      const { name, value, repositoryPattern } = parsed.data;
      const existing = s.envVars.find((v) => v.name === name && v.repositoryPattern === repositoryPattern);
      if (existing) existing.value = value;
      else s.envVars.push({ id: `ev-${s.envVars.length + 1}`, name, value, repositoryPattern });
      const stored = s.envVars.find((v) => v.name === name && v.repositoryPattern === repositoryPattern);
      return send(res, existing ? 200 : 201, stored ? dto(stored) : {});
    }
    const del = /^user\/env-vars\/(.+)$/.exec(path);
    if (method === 'DELETE' && del) {
      const before = s.envVars.length;
      s.envVars = s.envVars.filter((v) => v.id !== decodeURIComponent(del[1] ?? ''));
      if (s.envVars.length === before)
        return send(res, 404, { code: 'not_found', message: 'no such variable' });
      return send(res, 204);
    }
    return send(res, 404, { code: 'not_found', message: `no route ${method} ${path}` });
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const alias = decodeURIComponent(path.slice('/v1/terminal/attach/'.length));
    const known =
      path.startsWith('/v1/terminal/attach/') &&
      this.state.tasks.some((t) => t.alias === alias) &&
      !this.state.goneTerminals.has(alias);
    if (!known) {
      const body = JSON.stringify({ code: 'not_found', message: `no terminal '${alias}'` });
      socket.end(
        `HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.state.onAttach?.(alias, ws));
  }
}

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) return void res.writeHead(status).end();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : undefined;
}

/** A writable that keeps what was written, with a terminal's size when asked for. */
export class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  columns?: number;
  rows?: number;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    this.emit('captured');
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
  /** Resolves once the text includes `what`. */
  async waitFor(what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.text().includes(what)) {
      if (Date.now() > deadline) throw new Error(`no '${what}' in ${JSON.stringify(this.text())}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export interface RunOptions {
  stdin: PassThrough;
  stdout: Capture;
  stderr: Capture;
  cwd: string;
  env: Record<string, string>;
  isTTY: boolean;
  syncDir: string;
  signal: AbortSignal;
}

export interface GpResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs gp with a context whose supervisor API is `apiUrl`. */
export async function runAgainst(
  apiUrl: string,
  argv: string[],
  opts: Partial<RunOptions> = {},
): Promise<GpResult> {
  const stdout = opts.stdout ?? new Capture();
  const stderr = opts.stderr ?? new Capture();
  const ctx: GpContext = createContext({
    apiUrl,
    stdout,
    stderr,
    stdin: opts.stdin ?? new PassThrough(),
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? {},
    isTTY: opts.isTTY ?? false,
    syncDir: opts.syncDir ?? '/tmp',
    signal: opts.signal ?? new AbortController().signal,
  });
  const code = await runGp(argv, ctx);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
