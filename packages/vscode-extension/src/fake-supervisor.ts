// A stand-in for the supervisor's in-workspace API (workspace-api.ts contract) on loopback, for the
// extension's tests and the code-server try-out: state the caller controls, terminals that echo input.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ErrorBody,
  type HeartbeatRequest,
  heartbeatRequestSchema,
  type IdeStatusDetail,
  type Notification,
  type PortDto,
  workspaceApiPaths as paths,
  portVisibilityRequestSchema,
  type TaskStatus,
  type WorkspaceInfo,
} from '@atelier/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FakeSupervisorState {
  info: WorkspaceInfo;
  tasks: TaskStatus[];
  ports: PortDto[];
  ideStatus: IdeStatusDetail;
  /** when set, PUT …/visibility answers 403 with this message */
  refuseVisibility?: string;
}

/** A task terminal: what it printed so far (replayed on attach), and what clients sent. */
export class FakeTerminal {
  scrollback: Buffer[] = [];
  readonly inputs: string[] = [];
  readonly sizes: { cols: number; rows: number }[] = [];
  readonly clients = new Set<WebSocket>();

  constructor(readonly alias: string) {}

  write(text: string | Buffer): void {
    const chunk = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    this.scrollback.push(chunk);
    for (const ws of this.clients) ws.send(chunk, { binary: true });
  }
}

export class FakeSupervisor {
  readonly heartbeats: HeartbeatRequest[] = [];
  readonly terminals = new Map<string, FakeTerminal>();
  private readonly watchers = { tasks: new Set<ServerResponse>(), ports: new Set<ServerResponse>() };
  private readonly listeners = new Set<ServerResponse>();
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(
    readonly state: FakeSupervisorState,
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(state: FakeSupervisorState, port = 0): Promise<FakeSupervisor> {
    const server = createServer();
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fake = new FakeSupervisor(state, server, url);
    server.on('request', (req, res) => fake.handle(req, res));
    server.on('upgrade', (req, socket, head) => {
      const alias = decodeURIComponent(req.url?.slice(paths.terminalAttach.length + 1) ?? '');
      const terminal = req.url?.startsWith(`${paths.terminalAttach}/`)
        ? fake.terminals.get(alias)
        : undefined;
      if (!terminal) {
        const body = JSON.stringify({ code: 'not_found', message: `no terminal '${alias}'` });
        socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\r\n${body}`);
        return;
      }
      fake.wss.handleUpgrade(req, socket, head, (ws) => fake.attach(terminal, ws));
    });
    return fake;
  }

  /** A terminal for `alias` (created when new); attach to it at /v1/terminal/attach/<alias>. */
  terminal(alias: string): FakeTerminal {
    let terminal = this.terminals.get(alias);
    if (!terminal) {
      terminal = new FakeTerminal(alias);
      this.terminals.set(alias, terminal);
    }
    return terminal;
  }

  /** The terminal's shell ended: clients are closed with 1000 `exit <code>`, later attaches get 404. */
  exit(alias: string, code: number): void {
    const terminal = this.terminals.get(alias);
    this.terminals.delete(alias);
    for (const ws of terminal?.clients ?? []) ws.close(1000, `exit ${code}`);
  }

  /** Cuts every open stream (task, port and notification lists) mid-body. */
  dropStreams(): void {
    for (const res of [...this.watchers.tasks, ...this.watchers.ports, ...this.listeners]) res.destroy();
  }

  /** Cuts every terminal connection without a close frame, as a crashed proxy would. */
  dropTerminalConnections(): void {
    for (const terminal of this.terminals.values()) for (const ws of terminal.clients) ws.terminate();
  }

  setTasks(tasks: TaskStatus[]): void {
    this.state.tasks = tasks;
    for (const res of this.watchers.tasks) line(res, { tasks });
  }

  setPorts(ports: PortDto[]): void {
    this.state.ports = ports;
    for (const res of this.watchers.ports) line(res, { ports });
  }

  /** Sends a notification to every listening IDE; returns how many got it. */
  notify(notification: Notification | Record<string, never>): number {
    for (const res of this.listeners) line(res, notification);
    return this.listeners.size;
  }

  /** How many notification streams are open. */
  get notificationListeners(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private attach(terminal: FakeTerminal, ws: WebSocket): void {
    terminal.clients.add(ws);
    ws.on('close', () => terminal.clients.delete(ws));
    for (const chunk of terminal.scrollback) ws.send(chunk, { binary: true });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1008, 'send JSON text frames, not binary');
      const message = JSON.parse(String(data)) as {
        type: string;
        data?: string;
        cols?: number;
        rows?: number;
      };
      if (message.type === 'input' && message.data !== undefined) {
        terminal.inputs.push(message.data);
        terminal.write(message.data.replace(/\r/g, '\r\n')); // a cooked terminal echoes what is typed
      }
      if (message.type === 'resize')
        terminal.sizes.push({ cols: message.cols ?? 0, rows: message.rows ?? 0 });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const observe = url.searchParams.get('observe') === 'true';
    const route = `${req.method} ${url.pathname}`;
    const visibility = /^PUT \/v1\/ports\/(\d+)\/visibility$/.exec(route);
    if (route === `GET ${paths.info}`) return void json(res, 200, this.state.info);
    if (route === `GET ${paths.ideStatus}`) return void json(res, 200, this.state.ideStatus);
    if (route === `GET ${paths.tasks}`)
      return void this.list(res, observe, 'tasks', { tasks: this.state.tasks });
    if (route === `GET ${paths.ports}`)
      return void this.list(res, observe, 'ports', { ports: this.state.ports });
    if (route === `GET ${paths.notifications}`) return void this.stream(res, this.listeners);
    if (route === `POST ${paths.heartbeat}`) {
      return void readJson(req).then((body) => {
        const parsed = heartbeatRequestSchema.safeParse(body);
        if (!parsed.success)
          return void error(res, 400, { code: 'invalid_argument', message: parsed.error.message });
        this.heartbeats.push(parsed.data);
        res.writeHead(204).end();
      });
    }
    if (visibility) return void this.setVisibility(req, res, Number(visibility[1]));
    error(res, 404, { code: 'not_found', message: `no route ${route}` });
  }

  private list(res: ServerResponse, observe: boolean, kind: 'tasks' | 'ports', body: unknown): void {
    if (!observe) return void json(res, 200, body);
    this.stream(res, this.watchers[kind]);
    line(res, body);
  }

  private stream(res: ServerResponse, into: Set<ServerResponse>): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.flushHeaders();
    into.add(res);
    res.on('close', () => into.delete(res));
  }

  private async setVisibility(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
    const parsed = portVisibilityRequestSchema.safeParse(await readJson(req));
    if (!parsed.success) return error(res, 400, { code: 'invalid_argument', message: parsed.error.message });
    if (this.state.refuseVisibility) {
      return error(res, 403, { code: 'permission_denied', message: this.state.refuseVisibility });
    }
    const found = this.state.ports.find((p) => p.port === port);
    if (!found) return error(res, 404, { code: 'not_found', message: `port ${port} is not known` });
    const updated = { ...found, visibility: parsed.data.visibility };
    this.setPorts(this.state.ports.map((p) => (p.port === port ? updated : p)));
    json(res, 200, updated);
  }
}

/** A port as the server lists it; `overrides` change what the test cares about. */
export function fakePort(port: number, overrides: Partial<PortDto> = {}): PortDto {
  return {
    port,
    url: `https://${port}-amber-fox-1234abcd.ws.atelier.test/`,
    visibility: 'private',
    served: true,
    state: overrides.served === false ? 'not-served' : 'served',
    name: null,
    description: null,
    onOpen: 'notify',
    protocol: 'http',
    ...overrides,
  };
}

export function fakeInfo(overrides: Partial<WorkspaceInfo> = {}): WorkspaceInfo {
  return {
    workspaceId: 'amber-fox-1234abcd',
    instanceId: 'inst-1',
    ownerId: 'user-1',
    workspaceUrl: 'https://amber-fox-1234abcd.ws.atelier.test',
    dashboardUrl: 'https://atelier.test',
    portUrlTemplate: 'https://{port}-amber-fox-1234abcd.ws.atelier.test',
    contextUrl: 'https://github.com/example/app',
    checkoutLocation: '/workspace/app',
    workspaceLocation: '/workspace/app',
    repository: { cloneUrl: 'https://github.com/example/app.git', owner: 'example', name: 'app' },
    ide: 'code',
    heartbeatIntervalMs: 30_000,
    ssh: { host: 'atelier.test', port: 2222, user: 'amber-fox-1234abcd' },
    ...overrides,
  };
}

function line(res: ServerResponse, value: unknown): void {
  res.write(`${JSON.stringify(value)}\n`);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, body: ErrorBody): void {
  json(res, status, body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // the schema check that follows reports the bad body
  }
}
