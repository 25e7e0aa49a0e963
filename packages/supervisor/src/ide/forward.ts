// Forwards the IDE host's requests and WebSockets (everything outside /_supervisor) to code-server on
// the container's loopback, without the supervisor's token.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { SUPERVISOR_TOKEN_HEADER } from '@atelier/protocol';

export interface Upstream {
  host: string;
  port: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function upstreamHeaders(req: IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  delete headers[SUPERVISOR_TOKEN_HEADER];
  return headers;
}

/** One HTTP request to the upstream, streamed both ways; 502 when it does not answer. */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, to: Upstream): void {
  const upstream = http.request(
    { host: to.host, port: to.port, method: req.method, path: req.url, headers: upstreamHeaders(req), agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (e) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`VS Code does not answer: ${e.message}\n`);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** An HTTP upgrade (WebSocket) to the upstream: the request as it came, then bytes both ways. */
export function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  to: Upstream,
  onClose?: () => void,
): void {
  const upstream = net.connect({ host: to.host, port: to.port });
  const headers = upstreamHeaders(req);
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) text += `${name}: ${v}\r\n`;
    }
  }
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.write(`${text}\r\n`);
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    upstream.destroy();
    socket.destroy();
    onClose?.();
  };
  upstream.on('error', (e) => {
    if (connected) return close();
    closed = true;
    socket.end(
      `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\n\r\nVS Code does not answer: ${e.message}\n`,
    );
    onClose?.();
  });
  upstream.on('close', close);
  socket.on('error', close);
  socket.on('close', close);
}
