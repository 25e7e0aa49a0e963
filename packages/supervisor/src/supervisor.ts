// The supervisor's composition: content initialization, terminals and the HTTP API on one port.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import {
  CONTENT_READY_FILE,
  IDE_PORT,
  SUPERVISOR_CONFIG_ENV,
  SUPERVISOR_PORT,
  type SupervisorConfig,
  WORKSPACE_API_ENV,
  WORKSPACE_API_PORT,
} from '@atelier/protocol';
import { WebSocketServer } from 'ws';
import { type Account, currentAccount } from './account.js';
import { Activity } from './activity.js';
import { type ApiContext, handleRequest, handleUpgrade } from './api/routes.js';
import {
  handleWorkspaceRequest,
  handleWorkspaceUpgrade,
  type WorkspaceApiContext,
} from './api/workspace-routes.js';
import { Content } from './content/content.js';
import { Execs } from './exec/exec.js';
import { CodeServer } from './ide/code-server.js';
import { type Logger, silentLogger } from './log.js';
import { Notifications, PortWatcher } from './notifications.js';
import { ServerClient } from './server/server-client.js';
import { Tasks } from './tasks/tasks.js';
import { Terminals } from './terminals/terminals.js';

const CONTAINER_ROOT = '/workspace';

export interface SupervisorOptions {
  host?: string;
  port?: number;
  /** the volume root; /workspace in a container, a temp folder in tests */
  workspaceRoot?: string;
  /** the content-ready marker; CONTENT_READY_FILE below workspaceRoot by default */
  readyFile?: string;
  logger?: Logger;
  /** the user terminals and git run as; the current user by default */
  account?: Account;
  /** folder with terminal.js and xterm.css; `frontend/` beside the entry script by default */
  frontendDir?: string;
  procNet?: string;
  /** the in-workspace API's port on 127.0.0.1 (WORKSPACE_API_PORT; 0 picks a free one) */
  workspaceApiPort?: number;
  /** code-server's port on 127.0.0.1 (IDE_PORT) */
  idePort?: number;
}

export interface RunningSupervisor {
  port: number;
  content: Content;
  terminals: Terminals;
  tasks: Tasks;
  activity: Activity;
  /** where the in-workspace API listens */
  workspaceApiPort: number;
  codeServer: CodeServer | undefined;
  /** stops accepting, hangs up the terminals, closes every connection */
  close(): Promise<void>;
}

/** Maps a path inside the container's /workspace onto `workspaceRoot`. */
const inRoot = (root: string, containerPath: string) => join(root, relative(CONTAINER_ROOT, containerPath));

export async function startSupervisor(
  config: SupervisorConfig,
  opts: SupervisorOptions = {},
): Promise<RunningSupervisor> {
  const logger = opts.logger ?? silentLogger;
  const root = opts.workspaceRoot ?? CONTAINER_ROOT;
  const account = opts.account ?? currentAccount();
  const checkout = inRoot(root, config.checkoutLocation);
  // the in-workspace API listens first: its address goes into every shell's environment
  const workspaceApi = http.createServer((req, res) => void handleWorkspaceRequest(wctx, req, res));
  workspaceApi.on('upgrade', (req, socket, head) => handleWorkspaceUpgrade(wctx, req, socket, head));
  workspaceApi.on('clientError', (_e, socket) => socket.destroy());
  const workspaceApiPort = await listenOn(
    workspaceApi,
    opts.workspaceApiPort ?? WORKSPACE_API_PORT,
    '127.0.0.1',
  );
  const env = {
    ...terminalEnv(config, account),
    [WORKSPACE_API_ENV]: `http://127.0.0.1:${workspaceApiPort}`,
    // git asks gp for the owner's SCM token when a host wants credentials (never written to disk)
    ...(config.server ? credentialHelperEnv() : {}),
  };
  const cwd = () => (existsSync(checkout) ? checkout : root);
  const content = new Content({
    init: config.contentInit,
    checkout,
    workspaceRoot: root,
    readyFile: opts.readyFile ?? inRoot(root, CONTENT_READY_FILE),
    home: account.home,
    gitEnv: config.server
      ? { [WORKSPACE_API_ENV]: `http://127.0.0.1:${workspaceApiPort}`, ...credentialHelperEnv() }
      : {},
    logger,
  });
  const terminals = new Terminals({ shell: account.shell, env, cwd, logger });
  const tasks = new Tasks(config.tasks, terminals, logger, config.headless === true);
  const execs = new Execs({ shell: account.shell, env, cwd, logger });
  const server = config.server ? new ServerClient(config.server) : undefined;
  const activity = new Activity({
    intervalMs: config.heartbeatIntervalMs,
    logger,
    send: async (beat) => {
      if (!server) return;
      await server.heartbeat(config.workspaceId, { instanceId: config.instanceId, ...beat });
    },
  });
  const procNet = opts.procNet ?? '/proc/net';
  const notifications = new Notifications();
  const template = config.info?.portUrlTemplate ?? '';
  const portWatcher = new PortWatcher({
    ports: config.ports,
    portUrlTemplate: template,
    notifications,
    procNet,
    logger,
  });
  const workspaceLocation = inRoot(root, config.ide.workspaceLocation ?? config.checkoutLocation);
  const codeServer =
    config.ide.choice === 'code' && config.ide.codeServer
      ? new CodeServer({
          ...config.ide.codeServer,
          open: workspaceLocation,
          dataDir: inRoot(root, '/workspace/.vscode-remote'),
          host: '127.0.0.1',
          port: opts.idePort ?? IDE_PORT,
          env,
          builtinExtensions: config.ide.builtinExtensions,
          extensions: config.ide.extensions,
          repoRoot: checkout,
          ...(config.ide.openVsxUrl ? { openVsxUrl: config.ide.openVsxUrl } : {}),
          // the installation's workspace and port hosts: https://*.ws.<domain>
          trustedOrigins: [new URL(config.workspaceUrl).origin.replace(/\/\/[^.]+\./, '//*.')],
          logger,
        })
      : undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const wctx: WorkspaceApiContext = {
    config,
    workspaceLocation,
    tasks,
    terminals,
    wss,
    activity,
    notifications,
    portWatcher,
    codeServer,
    server,
    procNet,
    logger,
  };
  const ctx: ApiContext = {
    config,
    content,
    terminals,
    tasks,
    execs,
    activity,
    codeServer,
    wss,
    logger,
    frontendDir: opts.frontendDir ?? join(dirname(process.argv[1] ?? '.'), 'frontend'),
    procNet,
    startedAt: Date.now(),
  };
  const httpServer = http.createServer((req, res) => void handleRequest(ctx, req, res));
  httpServer.on('upgrade', (req, socket, head) => void handleUpgrade(ctx, req, socket, head));
  httpServer.on('clientError', (_e, socket) => socket.destroy());
  const port = await listenOn(httpServer, opts.port ?? SUPERVISOR_PORT, opts.host ?? '0.0.0.0');
  logger.info({ port, workspaceApiPort, user: account.name, checkout }, 'supervisor listening');
  void content.start();
  const stopping = new AbortController();
  void runTasksWhenReady(config, content, tasks, stopping.signal);
  portWatcher.start();
  if (codeServer) void startIdeWhenReady(content, codeServer, logger, stopping.signal);

  return {
    port,
    content,
    terminals,
    tasks,
    activity,
    workspaceApiPort,
    codeServer,
    close: async () => {
      stopping.abort();
      content.stop();
      activity.stop();
      portWatcher.stop();
      codeServer?.stop();
      const hungUp = Promise.all([terminals.hangUpAll(), execs.hangUpAll()]);
      for (const ws of wss.clients) ws.close(1001, 'the workspace is stopping');
      const closed = Promise.all(
        [httpServer, workspaceApi].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      httpServer.closeAllConnections();
      workspaceApi.closeAllConnections();
      for (const ws of wss.clients) ws.terminate();
      await Promise.all([closed, hungUp]);
    },
  };
}

/** git's credential.helper through GIT_CONFIG_* (git ≥ 2.31): gp beside this bundle, with this Node. */
function credentialHelperEnv(): Record<string, string> {
  const gp = join(dirname(process.argv[1] ?? '/.supervisor/supervisor.cjs'), 'gp.cjs');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: `!'${process.execPath}' '${gp}' credential-helper`,
  };
}

function listenOn(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts VS Code once content is ready (its folder exists then); nothing when the start fails. */
async function startIdeWhenReady(
  content: Content,
  codeServer: CodeServer,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  let status = content.status;
  while (!status.available && !status.error && !signal.aborted)
    status = await content.waitSettled(60_000, signal);
  if (!status.available || signal.aborted) return;
  try {
    await codeServer.start();
  } catch (e) {
    codeServer.error = String(e);
    logger.error({ error: String(e) }, 'VS Code did not start');
  }
}

/** The environment of terminals: the container's, the user's identity, config.env, the workspace's ids. */
export function terminalEnv(config: SupervisorConfig, account: Account): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && k !== SUPERVISOR_CONFIG_ENV) env[k] = v;
  Object.assign(env, {
    HOME: account.home,
    USER: account.name,
    LOGNAME: account.name,
    SHELL: account.shell,
    TERM: 'xterm-256color',
    LANG: process.env.LANG ?? 'C.UTF-8',
  });
  Object.assign(env, config.env);
  return Object.assign(env, {
    GITPOD_WORKSPACE_ID: config.workspaceId,
    GITPOD_INSTANCE_ID: config.instanceId,
    GITPOD_WORKSPACE_URL: config.workspaceUrl,
    GITPOD_REPO_ROOT: config.checkoutLocation,
    GITPOD_REPO_ROOTS: config.checkoutLocation,
    ATELIER_WORKSPACE_ID: config.workspaceId,
    ATELIER_INSTANCE_ID: config.instanceId,
    ATELIER_WORKSPACE_URL: config.workspaceUrl,
    ATELIER_OWNER_ID: config.ownerId,
  });
}

/** Opens one terminal per task once content is ready; nothing when it failed or we stop first. */
async function runTasksWhenReady(
  config: SupervisorConfig,
  content: Content,
  tasks: Tasks,
  signal: AbortSignal,
): Promise<void> {
  if (config.tasks.length === 0) return;
  let status = content.status;
  while (!status.available && !status.error && !signal.aborted)
    status = await content.waitSettled(60_000, signal);
  if (!status.available || signal.aborted) return;
  tasks.start(status.source ?? 'from-other');
}
