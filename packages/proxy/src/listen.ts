// The servers of the edge: the one that serves every request and upgrade through the proxy (https
// when TLS is on), and an optional plain-http one that only redirects to it.
import http from 'node:http';
import https from 'node:https';
import { AppError } from '@atelier/protocol';
import type { Proxy as EdgeProxy } from './types.js';

/** a client gets this long to send its request head */
const HEADERS_TIMEOUT_MS = 30_000;
/** …and this long for a whole request body (uploads); responses and upgraded streams have no limit */
const REQUEST_TIMEOUT_MS = 15 * 60_000;

export type EdgeServer = http.Server | https.Server;

export interface ListenOptions {
  host: string;
  port: number;
  /** PEM certificate (chain) and key; absent: plain http. Swap later with server.setSecureContext */
  tls?: { cert: string; key: string } | undefined;
}

/** Starts the server; resolves once it listens, rejects with an AppError the user can act on. */
export function listen(proxy: EdgeProxy, opts: ListenOptions): Promise<EdgeServer> {
  const options = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => proxy.handleRequest(req, res);
  const server = opts.tls
    ? https.createServer({ ...options, cert: opts.tls.cert, key: opts.tls.key }, onRequest)
    : http.createServer(options, onRequest);
  server.timeout = 0; // no idle timeout: SSE and long downloads may be quiet for a while
  server.on('upgrade', (req, socket, head) => proxy.handleUpgrade(req, socket, head));
  return start(server, opts, 'pass --port');
}

/**
 * A plain-http server that answers everything with 301 to the same host and path over https (as
 * Gitpod's proxy does), except ACME HTTP-01 challenges when `acmeHttp01` is given (the CA asks over
 * plain http on port 80). Hosts outside `domain` go to the dashboard, so this is no open redirect.
 */
export function listenRedirect(opts: {
  host: string;
  port: number;
  domain: string;
  httpsPort: number;
  /** ACME HTTP-01: the key authorization for a token, answered before any redirect */
  acmeHttp01?: (token: string) => Promise<string | undefined>;
}): Promise<http.Server> {
  const server = http.createServer({ headersTimeout: HEADERS_TIMEOUT_MS }, async (req, res) => {
    const challenge = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]{1,256})$/.exec(req.url ?? '');
    if (challenge && opts.acmeHttp01) {
      let answer: string | undefined;
      try {
        answer = await opts.acmeHttp01(challenge[1] as string);
      } catch (e) {
        // the store failed: the CA sees a 503 and the order fails with it (logged by the orderer)
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
        return;
      }
      if (answer === undefined)
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such challenge\n');
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer);
      return;
    }
    const asked = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const host = asked === opts.domain || asked.endsWith(`.${opts.domain}`) ? asked : opts.domain;
    const port = opts.httpsPort === 443 ? '' : `:${opts.httpsPort}`;
    res.writeHead(301, { location: `https://${host}${port}${req.url ?? '/'}`, 'content-length': 0 });
    res.end();
  });
  return start(server, opts, 'change tls.httpPort');
}

function start<S extends EdgeServer>(
  server: S,
  opts: { host: string; port: number },
  /** how the user picks another port */
  otherPort: string,
): Promise<S> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const where = `port ${opts.port} on ${opts.host}`;
      if (err.code === 'EADDRINUSE')
        reject(
          new AppError('failed_precondition', `${where} is in use: stop the other program or ${otherPort}`),
        );
      else if (err.code === 'EACCES')
        reject(
          new AppError(
            'permission_denied',
            `${where} needs privileges: grant CAP_NET_BIND_SERVICE, or pick a port above 1023 (${otherPort})`,
          ),
        );
      else if (err.code === 'EADDRNOTAVAIL')
        reject(
          new AppError(
            'failed_precondition',
            `${opts.host} is not an address of this machine: check bindAddress`,
          ),
        );
      else reject(err);
    };
    server.once('error', failed);
    server.listen(opts.port, opts.host, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}
