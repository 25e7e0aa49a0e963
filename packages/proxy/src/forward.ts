// Moving bytes between a client and a workspace: HTTP exchanges streamed both ways without
// buffering, and upgraded connections (WebSockets) spliced after their request head.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import { type HeaderMap, responseHeadersForClient, serializeRequestHead } from './headers.js';

export interface HttpExchange {
  req: IncomingMessage;
  res: ServerResponse;
  socket: net.Socket;
  headers: HeaderMap;
  isAtelierCookie: (name: string) => boolean;
  /** the upstream failed before it answered: the caller writes the error reply */
  onUpstreamError(err: Error): void;
  /** the upstream failed after it answered, or the client went away */
  onBroken(err: Error | undefined): void;
}

/** Sends `req` over `socket` and streams the answer back to `res`. */
export function forwardHttp(x: HttpExchange): void {
  const { req, res, socket } = x;
  const upstream = http.request({
    // no `agent` at all: with `agent: false` Node makes a fresh Agent that dials host:port itself
    createConnection: () => socket,
    setHost: false,
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: x.headers,
  });
  let answered = false;
  let over = false;
  const abort = () => {
    over = true;
    upstream.destroy();
    socket.destroy();
  };
  // the exchange is over, or the client went away: nothing more travels on this socket
  res.once('close', () => {
    if (!over && !res.writableFinished) x.onBroken(undefined);
    abort();
  });
  upstream.on('error', (err) => {
    if (over) return; // we tore it down ourselves
    if (!answered) x.onUpstreamError(err);
    else x.onBroken(err);
    abort();
  });
  upstream.on('response', (answer) => {
    answered = true;
    res.writeHead(
      answer.statusCode ?? 502,
      answer.statusMessage,
      responseHeadersForClient(answer, x.isAtelierCookie),
    );
    res.flushHeaders(); // SSE and slow downloads: the client sees the status before the first byte
    pipeline(answer, res, (err) => {
      if (!err) return;
      if (!over) x.onBroken(err);
      abort();
    });
  });
  upstream.flushHeaders();
  // not pipeline(): a workspace that answers before reading the whole body must not tear down the client
  req.pipe(upstream);
  req.once('error', abort);
}

/** Writes the request head and `head` to `upstream`, then splices the two connections. */
export function spliceUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  upstream: net.Socket,
  headers: HeaderMap,
): void {
  const done = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.setNoDelay(true);
  upstream.setKeepAlive(true, 30_000);
  upstream.write(serializeRequestHead(req.method ?? 'GET', req.url ?? '/', headers));
  if (head.length) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
  for (const side of [client, upstream]) {
    side.once('error', done);
    side.once('close', done);
  }
}
