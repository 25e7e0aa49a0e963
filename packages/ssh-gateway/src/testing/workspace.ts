// Test support: a "workspace" that is a temporary folder served by the real supervisor bundle
// (dist/supervisor.cjs, as a child process of the current user), and the gateway's `connect` to it
// over plain TCP and HTTP Upgrade, as the host reaches a workspace container.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  AppError,
  SUPERVISOR_CONFIG_ENV,
  SUPERVISOR_LOCAL_ENV,
  SUPERVISOR_TOKEN_HEADER,
  type SupervisorConfigInput,
  type SupervisorLocal,
  supervisorPaths,
  TUNNEL_PROTOCOL,
} from '@atelier/protocol';
import { supervisorDistDir } from '@atelier/supervisor';

export interface SupervisorProcess {
  port: number;
  token: string;
  /** the checkout: where sessions start */
  checkout: string;
  /** a socket to the supervisor, or a tunnel to `port` inside the workspace (AppError 'unavailable' if refused) */
  connect(to: 'supervisor' | number): Promise<{ socket: net.Socket; headers: Record<string, string> }>;
  stop(): Promise<void>;
}

/** Starts the supervisor bundle on `root` (a temp folder standing in for /workspace). */
export async function startSupervisorProcess(
  root: string,
  ids: { workspaceId: string; instanceId: string; ownerId: string },
): Promise<SupervisorProcess> {
  const token = `tok-${ids.instanceId}-0123456789abcdef0123456789abcdef`;
  const home = join(root, '.home');
  mkdirSync(home, { recursive: true });
  const config: SupervisorConfigInput = {
    ...ids,
    token,
    workspaceUrl: `http://${ids.workspaceId}.ws.localhost`,
    user: 'gitpod',
    checkoutLocation: '/workspace/project',
    contentInit: { kind: 'empty' },
    env: {},
    tasks: [],
  };
  const local: SupervisorLocal = { workspaceRoot: root, home, host: '127.0.0.1', port: 0 };
  const child = spawn(process.execPath, [join(supervisorDistDir(), 'supervisor.cjs')], {
    env: {
      ...process.env,
      [SUPERVISOR_CONFIG_ENV]: JSON.stringify(config),
      [SUPERVISOR_LOCAL_ENV]: JSON.stringify(local),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await listeningPort(child);
  const headers = { [SUPERVISOR_TOKEN_HEADER]: token };
  return {
    port,
    token,
    checkout: join(root, 'project'),
    connect: (to) =>
      to === 'supervisor'
        ? dial(port).then((socket) => ({ socket, headers }))
        : tunnel(port, to, headers).then((socket) => ({ socket, headers: {} })),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The port from the "supervisor listening" line; fails with what the process said when it exits first. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const seen: string[] = [];
    lines.on('line', (line) => {
      seen.push(line);
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'supervisor listening' && entry.port) resolve(entry.port);
    });
    child.once('exit', (code) => reject(new Error(`the supervisor exited (${code}): ${seen.join('\n')}`)));
    child.once('error', reject);
  });
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', (e) => reject(new AppError('unavailable', `supervisor: ${e.message}`)));
  });
}

/** The supervisor's TCP tunnel: an HTTP Upgrade to TUNNEL_PROTOCOL, then raw bytes. */
function tunnel(port: number, to: number, headers: Record<string, string>): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: `${supervisorPaths.tunnel}/${to}`,
      headers: { ...headers, Connection: 'Upgrade', Upgrade: TUNNEL_PROTOCOL },
    });
    req.on('upgrade', (_res, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      res.resume();
      reject(new AppError('unavailable', `nothing listens on port ${to} (${res.statusCode})`));
    });
    req.on('error', (e) => reject(new AppError('unavailable', e.message)));
    req.end();
  });
}
