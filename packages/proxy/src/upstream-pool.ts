// Keep-alive HTTP connections into workspaces: one small http.Agent per (instance, port), so that a
// page's many small requests do not each open a new tunnel through the supervisor.
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyDeps, RouteTarget } from './types.js';

/**
 * An idle connection is closed after this long. Below Node's default server keepAliveTimeout (5 s),
 * so we drop a connection before a typical dev server does and rarely send into one it just closed.
 */
export const IDLE_MS = 4_000;
/** idle connections kept per (instance, port); more concurrent requests still get their own */
export const MAX_IDLE = 16;

/** connect() did not finish in time; the proxy answers 504 */
export class ConnectTimeout extends Error {
  constructor(readonly ms: number) {
    super(`the workspace did not answer within ${ms / 1000} s`);
  }
}

/** `connect` bounded by `ms`; a connection that arrives late is closed, nobody waits for it any more. */
export function withTimeout(connect: ProxyDeps['connect'], ms: number): ProxyDeps['connect'] {
  return (target, to) =>
    new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new ConnectTimeout(ms));
      }, ms);
      connect(target, to).then(
        (upstream) => {
          clearTimeout(timer);
          if (late) upstream.socket.destroy();
          else resolve(upstream);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
}

export interface UpstreamRoute {
  agent: http.Agent;
  /** headers connect() asked for (e.g. the supervisor's token) */
  headers: Record<string, string>;
}

/** An Agent whose connections come from `dial` (asynchronous) and idle at most IDLE_MS. */
class TunnelAgent extends http.Agent {
  constructor(
    private readonly dial: () => Promise<net.Socket>,
    private readonly onSocketClosed: () => void,
  ) {
    super({ keepAlive: true, maxFreeSockets: MAX_IDLE, scheduling: 'lifo' });
  }

  // the documented callback form: Node waits for the socket instead of taking a return value
  override createConnection(
    _opts: http.ClientRequestArgs,
    done?: (err: Error | null, socket: Duplex) => void,
  ): undefined {
    this.dial().then(
      (socket) => {
        // after the Agent's own close handler, which forgets the socket
        socket.once('close', () => setImmediate(this.onSocketClosed));
        done?.(null, socket);
      },
      (err: Error) => done?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }

  override keepSocketAlive(socket: net.Socket): boolean {
    // typed void, but Node returns false when the socket must not be kept (see _http_agent.js)
    const keep = (super.keepSocketAlive(socket) as unknown) !== false;
    // super sets the server's Keep-Alive hint, if any, as the socket's time-out; never idle longer than ours
    if (keep) socket.setTimeout(Math.min(IDLE_MS, socket.timeout || IDLE_MS));
    return keep;
  }

  override reuseSocket(socket: net.Socket, req: http.ClientRequest): void {
    socket.setTimeout(0); // a busy connection may be quiet for long (SSE, long polls)
    super.reuseSocket(socket, req);
  }

  get connections(): number {
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>) =>
      Object.values(m).reduce((n, list) => n + (list?.length ?? 0), 0);
    return count(this.sockets) + count(this.freeSockets);
  }
}

export class UpstreamPool {
  private readonly routes = new Map<string, Promise<UpstreamRoute>>();

  constructor(private readonly connect: ProxyDeps['connect']) {}

  /**
   * The agent for `to` in `target`. The first call connects once to learn the headers and hands that
   * connection to the agent; it rejects like connect() so the caller can answer with the right page.
   */
  route(target: RouteTarget, to: 'supervisor' | number): Promise<UpstreamRoute> {
    const key = `${target.instanceId}:${to}`;
    const known = this.routes.get(key);
    if (known) return known;
    const created = this.create(target, to, key);
    this.routes.set(key, created);
    created.catch(() => this.routes.delete(key)); // the next request tries again
    return created;
  }

  private async create(target: RouteTarget, to: 'supervisor' | number, key: string): Promise<UpstreamRoute> {
    const first = await this.connect(target, to);
    let spare: net.Socket | undefined = first.socket;
    // a first connection nobody used (its client left) is not kept forever; until the Agent takes it,
    // nothing else listens for its errors, and an unheard 'error' would end the process
    spare.setTimeout(IDLE_MS, () => spare?.destroy());
    first.socket.on('error', () => first.socket.destroy());
    let dialing = 0;
    const dial = async () => {
      if (spare) {
        const s = spare;
        spare = undefined;
        s.setTimeout(0);
        if (!s.destroyed) return s;
      }
      dialing++;
      try {
        const next = await this.connect(target, to);
        route.headers = next.headers;
        return next.socket;
      } finally {
        dialing--;
      }
    };
    // forget the route once its last connection is gone, so stopped instances leave nothing behind
    const forgetWhenEmpty = () => {
      if (agent.connections > 0 || dialing > 0 || (spare && !spare.destroyed)) return;
      agent.destroy();
      const current = this.routes.get(key);
      current?.then(
        (r) => {
          if (r === route && this.routes.get(key) === current) this.routes.delete(key);
        },
        () => undefined, // another route that failed to connect: route() already forgot it
      );
    };
    const agent = new TunnelAgent(dial, forgetWhenEmpty);
    const route: UpstreamRoute = { agent, headers: first.headers };
    first.socket.once('close', () => {
      if (spare === first.socket) spare = undefined;
      setImmediate(forgetWhenEmpty);
    });
    return route;
  }

  /** destroys every pooled connection */
  close(): void {
    for (const r of this.routes.values())
      r.then(
        (x) => x.agent.destroy(),
        () => undefined, // a route that never connected holds nothing
      );
    this.routes.clear();
  }
}
