// The one HTTP server of the edge: every request and upgrade goes to the proxy.
import http from 'node:http';
import { AppError } from '@atelier/protocol';
import type { Proxy as EdgeProxy } from './types.js';

/** a client gets this long to send its request head */
const HEADERS_TIMEOUT_MS = 30_000;
/** …and this long for a whole request body (uploads); responses and upgraded streams have no limit */
const REQUEST_TIMEOUT_MS = 15 * 60_000;

/** Starts the server; resolves once it listens, rejects with an AppError the user can act on. */
export function listen(proxy: EdgeProxy, opts: { host: string; port: number }): Promise<http.Server> {
  const server = http.createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    (req, res) => proxy.handleRequest(req, res),
  );
  server.timeout = 0; // no idle timeout: SSE and long downloads may be quiet for a while
  server.on('upgrade', (req, socket, head) => proxy.handleUpgrade(req, socket, head));
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const where = `port ${opts.port} on ${opts.host}`;
      if (err.code === 'EADDRINUSE')
        reject(
          new AppError('failed_precondition', `${where} is in use: stop the other program or pass --port`),
        );
      else if (err.code === 'EACCES')
        reject(
          new AppError('permission_denied', `${where} needs privileges: pick a port above 1023 with --port`),
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
