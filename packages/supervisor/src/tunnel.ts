// The TCP tunnel: an HTTP Upgrade to TUNNEL_PROTOCOL turns the request's socket into a pipe to a local port.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { INTERNAL_PORTS, TUNNEL_PROTOCOL } from '@atelier/protocol';
import type { Logger } from './log.js';

const CONNECT_TIMEOUT_MS = 3_000;

/** Connects to 127.0.0.1:port, then [::1]:port; undefined when nothing listens on either. */
export async function connectLocal(port: number): Promise<net.Socket | undefined> {
  for (const host of ['127.0.0.1', '::1']) {
    const socket = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect({ host, port });
      const fail = () => {
        s.destroy();
        resolve(undefined);
      };
      s.setTimeout(CONNECT_TIMEOUT_MS, fail);
      s.once('error', fail);
      s.once('connect', () => {
        s.setTimeout(0);
        s.removeListener('error', fail);
        resolve(s);
      });
    });
    if (socket) return socket;
  }
  return undefined;
}

export function writeHttpError(socket: Duplex, status: number, reason: string, body: object): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

/** Answers an upgrade request for `GET tunnel/<port>`. */
export async function handleTunnel(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  portText: string,
  logger: Logger,
): Promise<void> {
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    return writeHttpError(socket, 400, 'Bad Request', {
      code: 'invalid_argument',
      message: `invalid port '${portText}': use a number from 1 to 65535`,
    });
  }
  if (INTERNAL_PORTS.includes(port)) {
    return writeHttpError(socket, 403, 'Forbidden', {
      code: 'permission_denied',
      message: `port ${port} belongs to the workspace's own machinery (supervisor, VS Code) and is not reachable from outside`,
    });
  }
  if ((req.headers.upgrade ?? '').toLowerCase() !== TUNNEL_PROTOCOL) {
    return writeHttpError(socket, 400, 'Bad Request', {
      code: 'invalid_argument',
      message: `a tunnel needs the headers Connection: Upgrade and Upgrade: ${TUNNEL_PROTOCOL}`,
    });
  }
  const target = await connectLocal(port);
  if (!target) {
    return writeHttpError(socket, 502, 'Bad Gateway', {
      code: 'unavailable',
      message: `nothing listens on port ${port} in this workspace`,
    });
  }
  if (socket.destroyed) return void target.destroy();
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${TUNNEL_PROTOCOL}\r\n\r\n`,
  );
  if (head.length) target.write(head);
  const close = (e?: Error) => {
    if (e) logger.warn({ port, error: e }, 'tunnel closed with an error');
    socket.destroy();
    target.destroy();
  };
  socket.on('error', close);
  target.on('error', close);
  socket.on('close', () => target.destroy());
  target.on('close', () => socket.destroy());
  socket.pipe(target);
  target.pipe(socket);
}
