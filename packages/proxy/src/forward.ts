// Moving bytes between a client and a workspace: HTTP exchanges streamed both ways without
// buffering, and upgraded connections (WebSockets) spliced after their request head.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { type HeaderMap, responseHeadersForClient, serializeRequestHead } from './headers.js';

export interface HttpExchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** keep-alive connections into the workspace (see upstream-pool.ts) */
  agent: http.Agent;
  headers: HeaderMap;
  isAtelierCookie: (name: string) => boolean;
  /** the upstream failed before it answered: the caller writes the error reply */
  onUpstreamError(err: Error): void;
  /** the upstream failed after it answered, or the client went away */
  onBroken(err: Error | undefined): void;
}

/** A request we may send again: nothing of it is lost if a pooled connection died under it. */
const replayable = (req: IncomingMessage) =>
  (req.method === 'GET' || req.method === 'HEAD') &&
  req.headers['content-length'] === undefined &&
  req.headers['transfer-encoding'] === undefined;

/**
 * Sends `req` through `agent` and streams the answer back to `res`. The connection goes back to the
 * pool only after a complete exchange (Node's Agent decides); any abort destroys it.
 */
export function forwardHttp(x: HttpExchange, retry = true): void {
  const { req, res } = x;
  const upstream = http.request({
    agent: x.agent,
    setHost: false,
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: x.headers,
  });
  let answered = false;
  let over = false;
  const abort = () => {
    over = true;
    upstream.destroy(); // with its connection: it is in an unknown state
  };
  const onClientClose = () => {
    if (over) return;
    if (!res.writableFinished) x.onBroken(undefined);
    // a complete exchange leaves the connection to the Agent; anything else may be mid-message
    if (!(res.writableFinished && req.complete)) abort();
  };
  res.once('close', onClientClose);
  upstream.on('error', (err) => {
    if (over) return; // we tore it down ourselves
    over = true;
    res.off('close', onClientClose);
    // a pooled connection the workspace closed just as we sent: try once more on a new one
    if (!answered && retry && upstream.reusedSocket && replayable(req) && !res.destroyed) {
      req.unpipe(upstream);
      return forwardHttp(x, false);
    }
    if (!answered) x.onUpstreamError(err);
    else x.onBroken(err);
    upstream.destroy();
  });
  upstream.on('response', (answer) => {
    answered = true;
    res.writeHead(
      answer.statusCode ?? 502,
      answer.statusMessage,
      responseHeadersForClient(answer, x.isAtelierCookie),
    );
    // SSE and other open-ended streams: the client sees the status before the first byte; an answer
    // of known length goes out with its head in one write
    if (answer.headers['content-length'] === undefined) res.flushHeaders();
    // pipe, not pipeline(): pipeline costs an AbortController per response, and both ends are
    // watched here already (the client's close above, the answer's errors below)
    answer.pipe(res);
    answer.once('error', (err) => {
      if (over) return;
      x.onBroken(err);
      abort();
    });
  });
  // a request with a body: the workspace sees the head at once, before a slow upload ends
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
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
