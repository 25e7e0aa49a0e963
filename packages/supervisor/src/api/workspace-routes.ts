// The in-workspace API (127.0.0.1:22998, no token): what gp, the VS Code extension and the terminal
// page use — info, tasks, ports, heartbeats, notifications to the IDE, the workspace's API access.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AppError,
  heartbeatRequestSchema,
  INTERNAL_PORTS,
  isAppError,
  notificationSchema,
  type PortDto,
  portSchema,
  portVisibilityRequestSchema,
  type SupervisorConfig,
  workspaceApiPaths as W,
  type WorkspaceInfo,
  type WorkspacePorts,
  workspacePortsSchema,
} from '@atelier/protocol';
import type { WebSocketServer } from 'ws';
import type { Activity } from '../activity.js';
import type { CodeServer } from '../ide/code-server.js';
import type { Logger } from '../log.js';
import type { Notifications, PortWatcher } from '../notifications.js';
import { listeningPorts } from '../ports/proc-net.js';
import type { ServerClient } from '../server/server-client.js';
import type { Tasks } from '../tasks/tasks.js';
import type { Terminals } from '../terminals/terminals.js';
import { writeHttpError } from '../tunnel.js';
import { errorBody, readJson, sendError, sendJson } from './http.js';

export interface WorkspaceApiContext {
  config: SupervisorConfig;
  /** the folder or file the IDE opens */
  workspaceLocation: string;
  tasks: Tasks;
  terminals: Terminals;
  wss: WebSocketServer;
  activity: Activity;
  notifications: Notifications;
  portWatcher: PortWatcher;
  codeServer: CodeServer | undefined;
  server: ServerClient | undefined;
  procNet: string;
  logger: Logger;
}

const KEEPALIVE_MS = 15_000;
const MAX_AWAIT_MS = 10 * 60_000;

export async function handleWorkspaceRequest(
  ctx: WorkspaceApiContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    await route(ctx, req, res);
  } catch (e) {
    if (!isAppError(e)) ctx.logger.error({ method: req.method, path: req.url, error: e }, 'request failed');
    sendError(res, e);
  }
}

async function route(ctx: WorkspaceApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://supervisor');
  const path = url.pathname;
  const observe = url.searchParams.get('observe') === 'true';
  switch (`${req.method} ${path}`) {
    case `GET ${W.info}`:
      return sendJson(res, 200, info(ctx));
    case `GET ${W.tasks}`:
      if (observe) return stream(res, () => ({ tasks: ctx.tasks.list() }), 500);
      return sendJson(res, 200, { tasks: ctx.tasks.list() });
    case `GET ${W.ports}`:
      if (observe) return stream(res, () => ports(ctx), 2_000);
      return sendJson(res, 200, await ports(ctx));
    case `POST ${W.heartbeat}`: {
      const beat = await readJson(req, heartbeatRequestSchema);
      ctx.activity.beat(beat.source, beat.closed);
      res.writeHead(204).end();
      return;
    }
    case `POST ${W.notify}`: {
      const notification = await readJson(req, notificationSchema);
      return sendJson(res, 200, { delivered: ctx.notifications.notify(notification) });
    }
    case `GET ${W.notifications}`:
      return notificationStream(ctx, res);
    case `GET ${W.ideStatus}`:
      return sendJson(res, 200, {
        ide: ctx.config.ide.choice,
        ready: ctx.codeServer ? ctx.codeServer.ready : true,
        error: ctx.codeServer?.error ?? null,
        extensions: ctx.codeServer?.extensions ?? [],
      });
    case `GET ${W.serverToken}`:
      if (!ctx.config.server) {
        throw new AppError(
          'failed_precondition',
          'this workspace was started without access to the Atelier API',
        );
      }
      return sendJson(res, 200, ctx.config.server);
  }
  const task = /^\/v1\/tasks\/(\d{1,6})\/stop$/.exec(path);
  if (task && req.method === 'POST') {
    await ctx.tasks.stop(Number(task[1]));
    res.writeHead(204).end();
    return;
  }
  const port = /^\/v1\/ports\/(\d{1,5})\/(visibility|await)$/.exec(path);
  if (port) {
    const number = checkPort(port[1] as string);
    if (port[2] === 'visibility' && req.method === 'PUT') {
      const body = await readJson(req, portVisibilityRequestSchema);
      return sendJson(res, 200, await setVisibility(ctx, number, body.visibility));
    }
    if (port[2] === 'await' && req.method === 'GET') {
      return awaitPort(ctx, res, number, Number(url.searchParams.get('timeoutMs') ?? 60_000));
    }
  }
  throw new AppError('not_found', `no route ${req.method} ${path} in the workspace API`);
}

export function handleWorkspaceUpgrade(
  ctx: WorkspaceApiContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  socket.on('error', (e) => ctx.logger.warn({ path: req.url, error: e }, 'upgraded connection failed'));
  try {
    const path = new URL(req.url ?? '/', 'http://supervisor').pathname;
    if (!path.startsWith(`${W.terminalAttach}/`))
      throw new AppError('not_found', `no upgrade route for ${path}`);
    const alias = decodeURIComponent(path.slice(W.terminalAttach.length + 1));
    const terminal = ctx.terminals.get(alias);
    if (!terminal) throw new AppError('not_found', `no terminal '${alias}': it exited or was never opened`);
    ctx.wss.handleUpgrade(req, socket, head, (ws) => terminal.attach(ws));
  } catch (e) {
    const { status, body } = errorBody(e);
    writeHttpError(socket, status, 'Error', body);
  }
}

function info(ctx: WorkspaceApiContext): WorkspaceInfo {
  const { config } = ctx;
  const origin = new URL(config.workspaceUrl);
  const dashboard = `${origin.protocol}//${origin.host.replace(/^[^.]+\.ws\./, '')}`;
  return {
    workspaceId: config.workspaceId,
    instanceId: config.instanceId,
    ownerId: config.ownerId,
    workspaceUrl: config.workspaceUrl,
    dashboardUrl: config.info?.dashboardUrl ?? dashboard,
    portUrlTemplate: config.info?.portUrlTemplate ?? `${origin.protocol}//{port}-${origin.host}`,
    contextUrl: config.info?.contextUrl ?? '',
    checkoutLocation: config.checkoutLocation,
    workspaceLocation: ctx.workspaceLocation,
    repository: config.info?.repository ?? null,
    ide: config.ide.choice,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    ssh: config.info?.ssh ?? null,
    ...(config.info?.openFile ? { openFile: config.info.openFile } : {}),
  };
}

/** The server's list when it answers; else what this supervisor knows (listening ports, all private). */
async function ports(ctx: WorkspaceApiContext): Promise<WorkspacePorts> {
  if (ctx.server) {
    try {
      return await ctx.server.json('GET', `workspaces/${ctx.config.workspaceId}/ports`, workspacePortsSchema);
    } catch (e) {
      ctx.logger.warn({ error: String(e) }, 'ports from the server unavailable; listing local ones');
    }
  }
  const template = info(ctx).portUrlTemplate;
  const listening = await listeningPorts(INTERNAL_PORTS, ctx.procNet);
  const list: PortDto[] = listening.map(({ port }) => {
    const configured = ctx.config.ports.find((p) => p.port === port);
    return {
      port,
      url: template.replace('{port}', String(port)),
      visibility: configured?.visibility ?? 'private',
      served: true,
      state: 'served',
      name: configured?.name ?? null,
      description: configured?.description ?? null,
      onOpen: configured?.onOpen ?? 'notify',
      protocol: configured?.protocol ?? 'http',
    };
  });
  return { ports: list };
}

async function setVisibility(
  ctx: WorkspaceApiContext,
  port: number,
  visibility: 'private' | 'public',
): Promise<PortDto> {
  if (!ctx.server) {
    throw new AppError('failed_precondition', 'this workspace was started without access to the Atelier API');
  }
  return ctx.server.json('PUT', `workspaces/${ctx.config.workspaceId}/ports/${port}`, portSchema, {
    visibility,
  });
}

function checkPort(text: string): number {
  const port = Number(text);
  if (!(port >= 1 && port <= 65535)) {
    throw new AppError('invalid_argument', `invalid port '${text}': use a number from 1 to 65535`);
  }
  if (INTERNAL_PORTS.includes(port)) {
    throw new AppError('invalid_argument', `port ${port} belongs to the workspace's own machinery`);
  }
  return port;
}

async function awaitPort(ctx: WorkspaceApiContext, res: ServerResponse, port: number, timeoutMs: number) {
  const deadline = Date.now() + Math.min(Math.max(0, timeoutMs), MAX_AWAIT_MS);
  let gone = false;
  res.on('close', () => {
    gone = true;
  });
  while (!gone) {
    const open = await listeningPorts(INTERNAL_PORTS, ctx.procNet);
    if (open.some((p) => p.port === port)) return sendJson(res, 200, { port });
    if (Date.now() >= deadline) {
      return sendJson(res, 504, {
        code: 'unavailable',
        message: `nothing listens on port ${port} after ${Math.round(timeoutMs / 1000)} s`,
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** NDJSON: a line now and whenever the value changes (checked every `everyMs`), until the client goes. */
function stream(res: ServerResponse, read: () => unknown, everyMs: number): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  let gone = false;
  const tick = async () => {
    try {
      const line = JSON.stringify(await read());
      if (line !== last) {
        last = line;
        res.write(`${line}\n`);
      }
    } catch (e) {
      res.write(`${JSON.stringify(errorBody(e).body)}\n`);
    }
    if (!gone) timer = setTimeout(() => void tick(), everyMs);
  };
  res.on('close', () => {
    gone = true;
    clearTimeout(timer);
  });
  void tick();
}

function notificationStream(ctx: WorkspaceApiContext, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.write('{}\n');
  const unsubscribe = ctx.notifications.subscribe((n) => res.write(`${JSON.stringify(n)}\n`));
  const keepalive = setInterval(() => res.write('{}\n'), KEEPALIVE_MS);
  res.on('close', () => {
    unsubscribe();
    clearInterval(keepalive);
  });
}
