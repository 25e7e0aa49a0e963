// HTTP to the Atelier under test by host name: connects to 127.0.0.1 and sends the URL's Host,
// so `*.ws.localhost` names work whatever the machine's resolver says. https URLs send the host
// name as SNI and trust only the CAs given to trustCa (an Atelier's local CA).
import http from 'node:http';
import https from 'node:https';

const trusted: string[] = [];
/** Trusts this PEM CA certificate for every later https request of this test process. */
export function trustCa(pem: string): void {
  trusted.push(pem);
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      {
        host: '127.0.0.1',
        port: Number(u.port || (secure ? 443 : 80)),
        ...(secure ? { servername: u.hostname, ca: trusted } : {}),
        method: opts.method ?? 'GET',
        path: `${u.pathname}${u.search}`,
        headers: { host: u.host, ...(opts.headers ?? {}) },
        timeout: 30_000,
        // a fresh connection each time: a kept-alive one that the server closed after its idle
        // time-out (5 s) would fail the next request with "socket hang up"
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** JSON API call with a bearer token; throws with the server's message on errors. */
export async function api<T = unknown>(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const reply = await request(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (reply.status >= 400) throw new Error(`${method} ${path} → ${reply.status}: ${reply.body}`);
  return (reply.body ? JSON.parse(reply.body) : undefined) as T;
}

export interface WithPhase {
  instance: { phase: string; failed: string | null } | null;
}

/**
 * Polls GET /api/v1/workspaces/{id} until its latest instance is in `phase`; a failed start throws
 * with its message (unless `failFast` is false: a stop that follows a failure is awaited too).
 */
export async function waitForPhase<T extends WithPhase>(
  base: string,
  token: string,
  id: string,
  phase: string,
  opts: { timeoutMs?: number; pollMs?: number; failFast?: boolean } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await api<T>(base, token, 'GET', `/api/v1/workspaces/${id}`);
    if (last.instance?.phase === phase) return last;
    if (last.instance?.failed && opts.failFast !== false) throw new Error(last.instance.failed);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
  throw new Error(`workspace ${id} did not reach ${phase}; last: ${JSON.stringify(last?.instance)}`);
}
