// The SSH gateway: terminates SSH (ssh2), admits a workspace's owner (auth.ts), and serves each
// session channel through the supervisor's exec API (a WebSocket over the socket deps.connect gives)
// and each `-L` forward through the supervisor's tunnel. Gitpod's gateway proxies to an sshd in the
// workspace, which encrypts everything twice; here the one SSH hop ends at the gateway.
import type net from 'node:net';
import {
  EXEC_SIGNALS,
  EXEC_STDERR,
  EXEC_STDOUT,
  type ExecClientMessage,
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
/** a silent client is asked every 15 s whether it is still there, and dropped after 3 missed answers */
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 3;
/** the WebSocket to the supervisor holds at most this much unsent stdin before the channel waits */
const STDIN_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * Environment variables a client may set (`SendEnv`/`SetEnv`), in the spirit of OpenSSH's AcceptEnv:
 * the locale (LANG, LC_*), colour wishes (COLORTERM, NO_COLOR) and git's wire protocol version
 * (GIT_PROTOCOL). Everything else is refused: PATH, LD_*, and the workspace's own GITPOD_* and
 * ATELIER_* ids stay what the workspace says. TERM comes with the pty request.
 */
const ACCEPT_ENV = /^(LANG|LC_[A-Z]+|COLORTERM|NO_COLOR|GIT_PROTOCOL)$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0:0:0:0:0:0:0:1']);

export async function startSshGateway(
  deps: SshGatewayDeps,
  listen: { host: string; port: number },
): Promise<SshGateway> {
  const { logger } = deps;
  const clients = new Set<ssh2.Connection>();
  const config = {
    hostKeys: deps.hostKeys,
    ident: SSH_IDENT,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
  };
  const server = new Server(config, (client, info) => {
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
          // the workspace id only: a user name that does not parse may hold a mistyped secret
          const user = sshUserSchema.safeParse(ctx.username);
          const workspaceId = user.success ? user.data.workspaceId : '(malformed)';
          log.info({ workspaceId, method: ctx.method }, 'ssh authentication refused');
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
  // resize and signal before the exec's WebSocket is open wait for it, in order
  const control = new Control();

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
    if (pty) pty = { ...pty, cols: info.cols, rows: info.rows };
    control.send({ type: 'resize', cols: info.cols, rows: info.rows });
    accept?.();
  });
  session.on('signal', (accept, reject, info) => {
    const name = EXEC_SIGNALS.find((n) => n === info.name.replace(/^SIG/, ''));
    if (!name) return reject?.();
    control.send({ type: 'signal', name });
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
      control,
    );
  };
  session.on('shell', (accept) => begin({ kind: 'shell' }, accept()));
  session.on('exec', (accept, _reject, info) => begin({ kind: 'command', command: info.command }, accept()));
  session.on('subsystem', (accept, reject, info) => {
    if (info.name !== 'sftp') return reject();
    begin({ kind: 'sftp' }, accept());
  });
}

/** Ends a channel with a message on stderr and exit status 1 (a terminal needs its carriage return). */
function refuse(channel: ssh2.ServerChannel, message: string, pty: boolean): void {
  channel.stderr.write(`${message}${pty ? '\r\n' : '\n'}`);
  channel.exit(1); // the SSH exit-status the client returns, not a process exit
  channel.end();
}

/** Runs one exec in the workspace and joins it to the channel, until the exec ends or the channel closes. */
async function startExec(
  deps: SshGatewayDeps,
  target: SshWorkspace,
  channel: ssh2.ServerChannel,
  start: ExecStart,
  moved: (n: number) => void,
  log: SshGatewayDeps['logger'],
  control: Control,
): Promise<void> {
  const pty = start.pty !== undefined;
  const notRunning = await whyNotRunning(deps, target, log);
  if (notRunning) return refuse(channel, notRunning, pty);
  let upstream: { socket: net.Socket; headers: Record<string, string> };
  try {
    upstream = await deps.connect(target, 'supervisor');
  } catch (e) {
    const why = isAppError(e) ? e.message : 'it does not answer';
    refuse(channel, `cannot reach workspace ${target.workspaceId}: ${why}`, pty);
    return;
  }
  const ws = new WebSocket(`ws://supervisor${supervisorPaths.exec}`, {
    headers: upstream.headers,
    createConnection: () => upstream.socket,
    perMessageDeflate: false,
  });
  let exited = false;
  const waiting = new Set<NodeJS.WritableStream>();
  ws.on('open', () => {
    ws.send(JSON.stringify(start));
    control.attach(ws);
    channel.on('data', (chunk: Buffer) => {
      moved(chunk.length);
      ws.send(chunk, { binary: true });
      // stdin waits while the supervisor has not taken what we sent: the SSH window stays shut
      if (ws.bufferedAmount > STDIN_HIGH_WATER_BYTES && !channel.isPaused()) {
        channel.pause();
        upstream.socket.once('drain', () => channel.resume());
      }
    });
    channel.on('end', () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'eof' })));
  });
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      const exit = execExitSchema.safeParse(JSON.parse(data.toString()));
      if (!exit.success) return;
      exited = true;
      // SSH exit-signal / exit-status of the remote process, as the client reports them
      if (exit.data.signal !== null) channel.exit(exit.data.signal, false, '');
      else channel.exit(exit.data.code ?? 0);
      channel.end();
      return;
    }
    moved(data.length - 1);
    const payload = data.subarray(1);
    const writable = data[0] === EXEC_STDERR ? channel.stderr : data[0] === EXEC_STDOUT ? channel : undefined;
    // output waits while the client has not taken what we sent (frames already read still come)
    if (writable && !writable.write(payload) && !waiting.has(writable)) {
      waiting.add(writable);
      ws.pause();
      writable.once('drain', () => {
        waiting.delete(writable);
        if (waiting.size === 0) ws.resume();
      });
    }
  });
  ws.on('close', (code, reason) => {
    if (exited) return;
    log.info({ code, reason: reason.toString() }, 'ssh: the workspace ended the session');
    refuse(channel, `the workspace ended the session (${reason.toString() || code})`, pty);
  });
  ws.on('error', (e) => {
    if (exited) return;
    log.warn({ error: e.message }, 'ssh: exec in the workspace failed');
  });
  channel.on('close', () => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
  });
}

/**
 * Undefined while the connection's instance runs; otherwise the message for the user. The phase
 * may have changed since authentication, so it is asked again for every session.
 */
async function whyNotRunning(
  deps: SshGatewayDeps,
  target: SshWorkspace,
  log: SshGatewayDeps['logger'],
): Promise<string | undefined> {
  let now: SshWorkspace | undefined;
  try {
    now = await deps.resolve(target.workspaceId);
  } catch (e) {
    log.warn({ error: (e as Error).message }, 'ssh: looking up the workspace failed');
    return `cannot look up workspace ${target.workspaceId} right now; try again`;
  }
  // another start since this connection was admitted: its owner token may differ
  if (now && now.instanceId !== target.instanceId)
    return `workspace ${target.workspaceId} was restarted; connect again`;
  if (now?.phase !== 'running')
    return `workspace ${target.workspaceId} is ${now?.phase ?? 'stopped'}; start it at ${deps.startUrl(target.workspaceId)}`;
  return undefined;
}

/** Resize and signal messages for an exec: sent at once when its WebSocket is open, else queued. */
class Control {
  private ws: WebSocket | undefined;
  private readonly queued: ExecClientMessage[] = [];

  send(msg: ExecClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
    else if (this.queued.length < 64) this.queued.push(msg);
  }

  /** The exec's WebSocket is open and its start frame sent: what waited goes now. */
  attach(ws: WebSocket): void {
    this.ws = ws;
    for (const msg of this.queued.splice(0)) ws.send(JSON.stringify(msg));
  }
}
