// The supervisor's composition: content initialization, terminals and the HTTP API on one port.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import {
  CONTENT_READY_FILE,
  SUPERVISOR_CONFIG_ENV,
  SUPERVISOR_PORT,
  type SupervisorConfig,
} from '@atelier/protocol';
import { WebSocketServer } from 'ws';
import { type Account, currentAccount } from './account.js';
import { type ApiContext, handleRequest, handleUpgrade } from './api/routes.js';
import { Content } from './content/content.js';
import { Execs } from './exec/exec.js';
import { type Logger, silentLogger } from './log.js';
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
}

export interface RunningSupervisor {
  port: number;
  content: Content;
  terminals: Terminals;
  tasks: Tasks;
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
  const content = new Content({
    init: config.contentInit,
    checkout,
    workspaceRoot: root,
    readyFile: opts.readyFile ?? inRoot(root, CONTENT_READY_FILE),
    home: account.home,
    logger,
  });
  const terminals = new Terminals({
    shell: account.shell,
    env: terminalEnv(config, account),
    cwd: () => (existsSync(checkout) ? checkout : root),
    logger,
  });
  const tasks = new Tasks(config.tasks, terminals, logger, config.headless === true);
  const execs = new Execs({
    shell: account.shell,
    env: terminalEnv(config, account),
    cwd: () => (existsSync(checkout) ? checkout : root),
    logger,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const ctx: ApiContext = {
    config,
    content,
    terminals,
    tasks,
    execs,
    wss,
    logger,
    frontendDir: opts.frontendDir ?? join(dirname(process.argv[1] ?? '.'), 'frontend'),
    procNet: opts.procNet ?? '/proc/net',
    startedAt: Date.now(),
  };
  const server = http.createServer((req, res) => void handleRequest(ctx, req, res));
  server.on('upgrade', (req, socket, head) => void handleUpgrade(ctx, req, socket, head));
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? SUPERVISOR_PORT, opts.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port, user: account.name, checkout }, 'supervisor listening');
  void content.start();
  const stopping = new AbortController();
  void runTasksWhenReady(config, content, tasks, stopping.signal);

  return {
    port,
    content,
    terminals,
    tasks,
    close: async () => {
      stopping.abort();
      content.stop();
      const hungUp = Promise.all([terminals.hangUpAll(), execs.hangUpAll()]);
      for (const ws of wss.clients) ws.close(1001, 'the workspace is stopping');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const ws of wss.clients) ws.terminate();
      await Promise.all([closed, hungUp]);
    },
  };
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
