// The SSH gateway: terminates SSH (ssh2), admits a workspace's owner (auth.ts), and serves each
// session channel through the supervisor's exec API (a WebSocket over the socket deps.connect gives)
// and each `-L` forward through the supervisor's tunnel. Gitpod's gateway proxies to an sshd in the
// workspace, which encrypts everything twice; here the one SSH hop ends at the gateway.
import type net from 'node:net';
import {
  EXEC_STDERR,
  EXEC_STDOUT,
  type ExecStart,
  execExitSchema,
  isAppError,
  supervisorPaths,
} from '@atelier/protocol';
import ssh2 from 'ssh2';
import WebSocket from 'ws';
import { matchingKey, type SshUser, secretsEqual, sshUserSchema } from './auth.js';
import type { SshGateway, SshGatewayDeps, SshWorkspace } from './types.js';

const { Server } = ssh2;

export const SSH_IDENT = 'ATELIER-GATEWAY';
/** a client gets this many authentication attempts per connection */
export const MAX_AUTH_ATTEMPTS = 6;
/** authentication must be done in this time */
export const AUTH_TIMEOUT_MS = 30_000;
export const ACTIVITY_EVERY_MS = 30_000;
/** the WebSocket to the supervisor holds at most this much unsent stdin before the channel waits */
const STDIN_HIGH_WATER_BYTES = 1024 * 1024;
/** environment variables a client may set (as OpenSSH's default AcceptEnv) */
const ACCEPT_ENV = /^(LANG|LC_[A-Z]+)$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0:0:0:0:0:0:0:1']);

export async function startSshGateway(
  deps: SshGatewayDeps,
  listen: { host: string; port: number },
): Promise<SshGateway> {
  const { logger } = deps;
  const clients = new Set<ssh2.Connection>();
  const server = new Server({ hostKeys: deps.hostKeys, ident: SSH_IDENT }, (client, info) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', (e) => logger.debug({ remote: info.ip, error: e.message }, 'ssh connection failed'));
    void serveConnection(deps, client, info);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  logger.info({ host: listen.host, port: address.port }, 'ssh gateway listening');
  return {
    port: address.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of clients) c.end();
      await closed;
    },
  };
}

async function serveConnection(
  deps: SshGatewayDeps,
  client: ssh2.Connection,
  info: ssh2.ClientInfo,
): Promise<void> {
  const log = deps.logger.child({ remote: `${info.ip}:${info.port}` });
  let attempts = 0;
  let admitted: SshWorkspace | undefined;
  const authTimer = setTimeout(() => {
    log.info({}, 'ssh authentication timed out');
    client.end();
  }, AUTH_TIMEOUT_MS);

  client.on('authentication', (ctx) => {
    attempts++;
    if (attempts > MAX_AUTH_ATTEMPTS) {
      log.info({ attempts }, 'ssh: too many authentication attempts');
      return void client.end();
    }
    void authenticate(deps, ctx).then(
      (workspace) => {
        if (workspace === 'partial') return;
        if (!workspace) {
          log.info({ user: ctx.username.split('#')[0], method: ctx.method }, 'ssh authentication refused');
          return ctx.reject(['publickey', 'password']);
        }
        admitted = workspace;
        ctx.accept();
      },
      (e: unknown) => {
        log.warn({ error: (e as Error).message }, 'ssh authentication failed');
        ctx.reject(['publickey', 'password']);
      },
    );
  });

  client.on('ready', () => {
    clearTimeout(authTimer);
    const target = admitted as SshWorkspace;
    const wlog = log.child({ workspaceId: target.workspaceId, instanceId: target.instanceId });
    wlog.info({}, 'ssh session opened');
    const activity = trackActivity(deps, target.instanceId);
    client.on('close', () => activity.stop());
    client.on('session', (accept) => serveSession(deps, target, accept(), activity.bytes, wlog));
    client.on('tcpip', (accept, reject, forward) => {
      if (!LOOPBACK.has(forward.destIP) || target.phase !== 'running') {
        wlog.info({ dest: `${forward.destIP}:${forward.destPort}` }, 'ssh forward refused');
        return reject();
      }
      deps.connect(target, forward.destPort).then(
        ({ socket }) => {
          const channel = accept();
          socket.on('data', (c: Buffer) => activity.bytes(c.length));
          channel.on('data', (c: Buffer) => activity.bytes(c.length));
          socket.pipe(channel).pipe(socket);
          socket.on('error', () => channel.destroy());
          channel.on('error', () => socket.destroy());
          channel.on('close', () => socket.destroy());
        },
        (e: unknown) => {
          wlog.info({ port: forward.destPort, error: (e as Error).message }, 'ssh forward: nothing there');
          reject();
        },
      );
    });
  });
  client.on('close', () => clearTimeout(authTimer));
}

/**
 * The workspace the credentials of `ctx` open, undefined when they open none, or 'partial' when
 * ctx was answered already (a key offered without its signature yet).
 */
async function authenticate(
  deps: SshGatewayDeps,
  ctx: ssh2.AuthContext,
): Promise<SshWorkspace | undefined | 'partial'> {
  const user = sshUserSchema.safeParse(ctx.username);
  if (!user.success) return undefined;
  const { workspaceId, token } = user.data as SshUser;
  const workspace = await deps.resolve(workspaceId);
  if (!workspace) return undefined;
  if (token !== undefined) return secretsEqual(token, workspace.ownerToken) ? workspace : undefined;
  switch (ctx.method) {
    case 'password':
      return secretsEqual(ctx.password, workspace.ownerToken) ? workspace : undefined;
    case 'publickey': {
      const key = matchingKey(await deps.publicKeys(workspace.ownerId), ctx.key);
      if (!key) return undefined;
      if (!ctx.signature || !ctx.blob) {
        ctx.accept(); // "this key would do": the client signs next
        return 'partial';
      }
      return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? workspace : undefined;
    }
    default:
      return undefined;
  }
}

/** Marks the instance active now and then every 30 s in which bytes moved. */
function trackActivity(deps: SshGatewayDeps, instanceId: string) {
  let moved = 0;
  deps.markActive(instanceId);
  const timer = setInterval(() => {
    if (moved > 0) deps.markActive(instanceId);
    moved = 0;
  }, ACTIVITY_EVERY_MS);
  timer.unref();
  return {
    bytes: (n: number) => {
      moved += n;
    },
    stop: () => clearInterval(timer),
  };
}

function serveSession(
  deps: SshGatewayDeps,
  target: SshWorkspace,
  session: ssh2.Session,
  moved: (n: number) => void,
  log: SshGatewayDeps['logger'],
): void {
  let pty: ExecStart['pty'];
  const env: Record<string, string> = {};
  let ws: WebSocket | undefined;

  session.on('pty', (accept, _reject, info) => {
    pty = { term: info.term || 'xterm-256color', cols: info.cols || 80, rows: info.rows || 24 };
    accept?.();
  });
  session.on('env', (accept, reject, info) => {
    if (ACCEPT_ENV.test(info.key)) {
      env[info.key] = info.val;
      accept?.();
    } else reject?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    ws?.readyState === WebSocket.OPEN &&
      ws.send(JSON.stringify({ type: 'resize', cols: info.cols, rows: info.rows }));
    accept?.();
  });
  session.on('signal', (accept, _reject, info) => {
    const name = info.name.replace(/^SIG/, '');
    ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'signal', name }));
    accept?.();
  });
  const begin = (run: ExecStart['run'], channel: ssh2.ServerChannel) => {
    log.info({ run: run.kind, pty: pty !== undefined }, 'ssh channel');
    void startExec(
      deps,
      target,
      channel,
      { type: 'start', run, env, ...(pty ? { pty } : {}) },
      moved,
      log,
    ).then((socket) => {
      ws = socket;
    });
  };
  session.on('shell', (accept) => begin({ kind: 'shell' }, accept()));
  session.on('exec', (accept, _reject, info) => begin({ kind: 'command', command: info.command }, accept()));
  session.on('subsystem', (accept, reject, info) => {
    if (info.name !== 'sftp') return reject();
    begin({ kind: 'sftp' }, accept());
  });
}

/** Ends a channel with a message on stderr and exit status 1. */
function refuse(channel: ssh2.ServerChannel, message: string): void {
  channel.stderr.write(`${message}\r\n`);
  channel.exit(1);
  channel.end();
}

/** Runs one exec in the workspace and joins it to the channel; resolves to its WebSocket. */
async function startExec(
  deps: SshGatewayDeps,
  target: SshWorkspace,
  channel: ssh2.ServerChannel,
  start: ExecStart,
  moved: (n: number) => void,
  log: SshGatewayDeps['logger'],
): Promise<WebSocket | undefined> {
  // the phase may have changed since authentication: ask again
  const now = await deps.resolve(target.workspaceId).catch(() => undefined);
  if (!now || now.instanceId !== target.instanceId || now.phase !== 'running') {
    const phase = now && now.instanceId === target.instanceId ? now.phase : 'stopped';
    refuse(
      channel,
      `workspace ${target.workspaceId} is ${phase}; start it at ${deps.startUrl(target.workspaceId)}`,
    );
    return undefined;
  }
  let upstream: { socket: net.Socket; headers: Record<string, string> };
  try {
    upstream = await deps.connect(target, 'supervisor');
  } catch (e) {
    const why = isAppError(e) ? e.message : 'it does not answer';
    refuse(channel, `cannot reach workspace ${target.workspaceId}: ${why}`);
    return undefined;
  }
  const ws = new WebSocket(`ws://supervisor${supervisorPaths.exec}`, {
    headers: upstream.headers,
    createConnection: () => upstream.socket,
    perMessageDeflate: false,
  });
  let exited = false;
  ws.on('open', () => {
    ws.send(JSON.stringify(start));
    channel.on('data', (chunk: Buffer) => {
      moved(chunk.length);
      ws.send(chunk, { binary: true });
      // stdin waits while the supervisor has not taken what we sent
      if (ws.bufferedAmount > STDIN_HIGH_WATER_BYTES) {
        channel.pause();
        const wait = setInterval(() => {
          if (ws.bufferedAmount > STDIN_HIGH_WATER_BYTES / 2 && ws.readyState === WebSocket.OPEN) return;
          clearInterval(wait);
          channel.resume();
        }, 5);
      }
    });
    channel.on('end', () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'eof' })));
  });
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      const exit = execExitSchema.safeParse(JSON.parse(data.toString()));
      if (!exit.success) return;
      exited = true;
      if (exit.data.signal !== null) channel.exit(exit.data.signal, false, '');
      else channel.exit(exit.data.code ?? 0);
      channel.end();
      return;
    }
    moved(data.length - 1);
    const payload = data.subarray(1);
    const writable = data[0] === EXEC_STDERR ? channel.stderr : data[0] === EXEC_STDOUT ? channel : undefined;
    // output waits while the client has not taken what we sent
    if (writable && !writable.write(payload)) {
      ws.pause();
      writable.once('drain', () => ws.resume());
    }
  });
  ws.on('close', (code, reason) => {
    if (exited) return;
    log.info({ code, reason: reason.toString() }, 'ssh: the workspace ended the session');
    refuse(channel, `the workspace ended the session (${reason.toString() || code})`);
  });
  ws.on('error', (e) => {
    if (exited) return;
    log.warn({ error: e.message }, 'ssh: exec in the workspace failed');
  });
  channel.on('close', () => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
  });
  return ws;
}
