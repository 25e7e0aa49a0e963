// Routing of the supervisor's HTTP API, WebSocket terminals and TCP tunnel (every call needs the token).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AppError,
  contentReadyRequestSchema,
  heartbeatRequestSchema,
  IDE_PORT,
  INTERNAL_PORTS,
  isAppError,
  openTerminalRequestSchema,
  supervisorPaths as P,
  type SupervisorConfig,
} from '@atelier/protocol';
import type { WebSocketServer } from 'ws';
import type { Activity } from '../activity.js';
import type { Content } from '../content/content.js';
import type { Execs } from '../exec/exec.js';
import type { CodeServer } from '../ide/code-server.js';
import { forwardRequest, forwardUpgrade } from '../ide/forward.js';
import type { Logger } from '../log.js';
import { listeningPorts } from '../ports/proc-net.js';
import type { Tasks } from '../tasks/tasks.js';
import type { Terminals } from '../terminals/terminals.js';
import { handleTunnel, writeHttpError } from '../tunnel.js';
import { checkToken, errorBody, readJson, sendError, sendJson, sendText } from './http.js';
import { FRONTEND_PREFIX, sendFrontendFile, sendIdeStartingPage, sendPage } from './page.js';

/** How long GET status/content/wait/true holds the answer. */
export const CONTENT_WAIT_MS = 30_000;

export interface ApiContext {
  config: SupervisorConfig;
  content: Content;
  terminals: Terminals;
  tasks: Tasks;
  execs: Execs;
  activity: Activity;
  /** VS Code in the browser; undefined when the terminal page is the IDE */
  codeServer: CodeServer | undefined;
  wss: WebSocketServer;
  logger: Logger;
  frontendDir: string;
  procNet: string;
  startedAt: number;
}

export async function handleRequest(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    checkToken(req, ctx.config.token);
    await route(ctx, req, res);
  } catch (e) {
    if (!isAppError(e)) ctx.logger.error({ method: req.method, path: req.url, error: e }, 'request failed');
    sendError(res, e);
  }
}

async function route(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://supervisor').pathname;
  const key = `${req.method} ${path}`;
  switch (key) {
    case `GET ${P.statusSupervisor}`:
      return sendJson(res, 200, { ok: true, uptimeMs: Date.now() - ctx.startedAt });
    case `GET ${P.statusContent}`:
      return sendJson(res, 200, ctx.content.status);
    case `GET ${P.statusContent}/wait/true`: {
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      return sendJson(res, 200, await ctx.content.waitSettled(CONTENT_WAIT_MS, gone.signal));
    }
    case `GET ${P.statusIde}`:
      return sendJson(res, 200, { ok: ctx.codeServer ? ctx.codeServer.ready : true });
    case `GET ${P.statusPorts}`:
      return sendJson(res, 200, { ports: await listeningPorts(INTERNAL_PORTS, ctx.procNet) });
    case `POST ${P.heartbeat}`: {
      // the terminal page (through the proxy, which checked the owner)
      const beat = await readJson(req, heartbeatRequestSchema);
      ctx.activity.beat(beat.source, beat.closed);
      res.writeHead(204).end();
      return;
    }
    case `GET ${P.terminalPage}`:
      return sendPage(res, ctx.config.workspaceId);
    case `POST ${P.contentReady}`: {
      const { source } = await readJson(req, contentReadyRequestSchema);
      return sendJson(res, 200, await ctx.content.markReady(source));
    }
    case `GET ${P.terminalList}`:
      return sendJson(res, 200, { terminals: ctx.terminals.list() });
    case `POST ${P.terminalOpen}`: {
      const size = await readJson(req, openTerminalRequestSchema);
      return sendJson(res, 200, ctx.terminals.open(size));
    }
    case `GET ${P.statusTasks}`:
      return sendJson(res, 200, { tasks: ctx.tasks.list() });
  }
  if (req.method === 'GET' && path.startsWith(`${P.taskOutput}/`)) {
    const index = path.slice(P.taskOutput.length + 1);
    if (!/^\d{1,6}$/.test(index)) {
      throw new AppError('invalid_argument', `'${index}' is not a task index: use its position from 0`);
    }
    return sendText(res, 200, ctx.tasks.output(Number(index)));
  }
  if (req.method === 'GET' && path.startsWith(FRONTEND_PREFIX)) {
    return sendFrontendFile(res, ctx.frontendDir, path.slice(FRONTEND_PREFIX.length));
  }
  if (path.startsWith('/_supervisor/')) throw new AppError('not_found', `no route ${key}`);
  if (ctx.codeServer) {
    if (ctx.codeServer.ready) return forwardRequest(req, res, { host: '127.0.0.1', port: IDE_PORT });
    return sendIdeStartingPage(res, ctx.config.workspaceId, ctx.codeServer.error);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new AppError('invalid_argument', `${req.method} is not supported on ${path}: the page takes GET`);
  }
  sendPage(res, ctx.config.workspaceId);
}

export async function handleUpgrade(ctx: ApiContext, req: IncomingMessage, socket: Duplex, head: Buffer) {
  socket.on('error', (e) => ctx.logger.warn({ path: req.url, error: e }, 'upgraded connection failed'));
  try {
    checkToken(req, ctx.config.token);
    const path = new URL(req.url ?? '/', 'http://supervisor').pathname;
    if (path.startsWith(`${P.tunnel}/`)) {
      return await handleTunnel(req, socket, head, path.slice(P.tunnel.length + 1), ctx.logger);
    }
    if (path === P.exec) {
      checkOrigin(req);
      ctx.wss.handleUpgrade(req, socket, head, (ws) => ctx.execs.serve(ws));
      return;
    }
    if (path.startsWith(`${P.terminalAttach}/`)) {
      const alias = decodeURIComponent(path.slice(P.terminalAttach.length + 1));
      const terminal = ctx.terminals.get(alias);
      if (!terminal) throw new AppError('not_found', `no terminal '${alias}': it exited or was never opened`);
      checkOrigin(req);
      // a browser's terminal page is an IDE window: its last one going away closes the IDE
      const gone = req.headers.origin ? ctx.activity.browserConnected('terminal') : undefined;
      ctx.wss.handleUpgrade(req, socket, head, (ws) => {
        if (gone) ws.once('close', gone);
        terminal.attach(ws);
      });
      return;
    }
    if (!path.startsWith('/_supervisor/') && ctx.codeServer?.ready) {
      // VS Code's connections: each browser window holds some while it is open
      const gone = req.headers.origin ? ctx.activity.browserConnected('ide') : undefined;
      return forwardUpgrade(req, socket, head, { host: '127.0.0.1', port: IDE_PORT }, gone);
    }
    throw new AppError('not_found', `no upgrade route for ${path}`);
  } catch (e) {
    const { status, body } = errorBody(e);
    writeHttpError(socket, status, status === 401 ? 'Unauthorized' : 'Error', body);
  }
}

/** A browser may only attach from a page of the same workspace host (no cross-site WebSocket hijacking). */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (!origin) return; // not a browser
  const hosts = [req.headers.host, req.headers['x-forwarded-host']].flat().filter(Boolean);
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new AppError('permission_denied', `invalid Origin header '${origin}'`);
  }
  if (!hosts.some((h) => h === originHost)) {
    throw new AppError('permission_denied', `a terminal of this workspace cannot be attached from ${origin}`);
  }
}
