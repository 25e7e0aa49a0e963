// The proxy's own answers: error pages (HTML for browsers, JSON {code, message} for everything
// else), redirects, and the security headers they carry; written to a response or a raw socket.
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody, ErrorCode } from '@atelier/protocol';

/** A complete answer of the proxy itself (never of a workspace). */
export interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};

export const wantsHtml = (req: IncomingMessage) => (req.headers.accept ?? '').includes('text/html');

/** A browser loading a page (as opposed to fetch/XHR, an API client or a WebSocket). */
export const isNavigation = (req: IncomingMessage) =>
  (req.method === 'GET' || req.method === 'HEAD') && wantsHtml(req);

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

export interface PageExtras {
  /** a link shown under the message */
  link?: { href: string; text: string };
  /** the page reloads itself after this many seconds */
  refreshSeconds?: number;
}

/** An error answer: an HTML page when the caller asked for HTML, otherwise the JSON error body. */
export function refusal(
  req: IncomingMessage,
  status: number,
  code: ErrorCode,
  message: string,
  extras: PageExtras = {},
): Reply {
  if (!wantsHtml(req)) {
    const body: ErrorBody = { code, message };
    return {
      status,
      headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
    };
  }
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const refresh = extras.refreshSeconds
    ? `<meta http-equiv="refresh" content="${extras.refreshSeconds}">`
    : '';
  const link = extras.link
    ? `<p><a href="${escapeHtml(extras.link.href)}">${escapeHtml(extras.link.text)}</a></p>`
    : '';
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${refresh}<title>${escapeHtml(title)} · Atelier</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${link}</body></html>
`;
  return { status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' }, body };
}

export function redirect(
  location: string,
  status = 302,
  headers: Record<string, string | string[]> = {},
): Reply {
  return { status, headers: { ...SECURITY_HEADERS, ...headers, location }, body: '' };
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-length': String(Buffer.byteLength(reply.body)),
  });
  res.end(res.req.method === 'HEAD' ? undefined : reply.body);
}

/** Answers an upgrade request that will not be forwarded, then closes the connection. */
export function writeRawReply(socket: Duplex, reply: Reply): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const headers = {
    ...reply.headers,
    'content-length': String(Buffer.byteLength(reply.body)),
    connection: 'close',
  };
  const lines = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Error'}`];
  for (const [name, value] of Object.entries(headers))
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${reply.body}`);
  socket.once('finish', () => socket.destroy());
}
