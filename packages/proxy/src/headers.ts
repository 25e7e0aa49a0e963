// Headers on the way to and from a workspace: Atelier's credentials and hop-by-hop headers are
// removed, X-Forwarded-* and the supervisor's headers are added.
import type { IncomingMessage } from 'node:http';
import {
  OWNER_TOKEN_HEADERS,
  ownerCookieName,
  SESSION_COOKIE_NAMES,
  SUPERVISOR_TOKEN_HEADER,
} from '@atelier/protocol';

export type HeaderMap = Record<string, string | string[]>;

/** The dashboard's session cookies (see Authenticator.cookieName in packages/server/src/auth.ts). */
const SESSION_COOKIES = new Set<string>(SESSION_COOKIE_NAMES);

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers a client must never be able to pass to a workspace, compared lower-case. */
const CREDENTIAL_HEADERS = new Set<string>([...OWNER_TOKEN_HEADERS, SUPERVISOR_TOKEN_HEADER]);

/** True for the names of Atelier's own cookies: every owner cookie of the domain and the session cookie. */
export function isAtelierCookie(domain: string): (name: string) => boolean {
  const sample = ownerCookieName(domain, '');
  const ownerPrefix = sample.slice(0, sample.length - '_owner_'.length); // `_<domain>_ws_`
  return (name) =>
    SESSION_COOKIES.has(name) || name.startsWith(ownerPrefix) || name.startsWith(`__Host-${ownerPrefix}`);
}

export interface Cookie {
  name: string;
  value: string;
  /** the pair as it was sent, forwarded unchanged */
  raw: string;
}

export function parseCookies(header: string | undefined): Cookie[] {
  if (!header) return [];
  const cookies: Cookie[] = [];
  for (const part of header.split(';')) {
    const raw = part.trim();
    if (!raw) continue;
    const eq = raw.indexOf('=');
    const name = (eq === -1 ? raw : raw.slice(0, eq)).trim();
    const value = eq === -1 ? '' : raw.slice(eq + 1).trim();
    cookies.push({ name, value: value.replace(/^"(.*)"$/, '$1'), raw });
  }
  return cookies;
}

/** Names listed in Connection are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(req: { headers: { connection?: string | undefined } }): Set<string> {
  return new Set(
    (req.headers.connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

function append(headers: HeaderMap, name: string, value: string): void {
  const had = headers[name];
  if (had === undefined) headers[name] = value;
  else headers[name] = Array.isArray(had) ? [...had, value] : [had, value];
}

export interface ForwardOptions {
  isAtelierCookie: (name: string) => boolean;
  scheme: 'http' | 'https';
  publicPort: number;
  /** headers connect() asked for (e.g. the supervisor's token); they win over the client's */
  added: Record<string, string>;
  /** keep Connection/Upgrade: the request is a protocol upgrade (WebSocket) */
  upgrade: boolean;
}

/** The headers of `req` as a workspace may see them. */
export function requestHeadersForWorkspace(req: IncomingMessage, opts: ForwardOptions): HeaderMap {
  const dropped = connectionTokens(req);
  const added = new Set(Object.keys(opts.added).map((n) => n.toLowerCase()));
  const out: HeaderMap = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    const value = req.rawHeaders[i + 1] as string;
    if (HOP_BY_HOP.has(name) || dropped.has(name) || CREDENTIAL_HEADERS.has(name) || added.has(name))
      continue;
    if (name === 'expect' || name.startsWith('x-forwarded-')) continue;
    if (name === 'cookie') {
      for (const c of parseCookies(value)) if (!opts.isAtelierCookie(c.name)) cookies.push(c.raw);
      continue;
    }
    append(out, name, value);
  }
  if (cookies.length) out.cookie = cookies.join('; ');
  if (opts.upgrade) {
    out.connection = 'Upgrade';
    if (req.headers.upgrade) out.upgrade = req.headers.upgrade;
  } else if (req.headers['transfer-encoding']) {
    out['transfer-encoding'] = 'chunked'; // a body of unknown length; Node re-frames it
  }
  const client = req.socket.remoteAddress;
  const priorFor = req.headers['x-forwarded-for'];
  if (client) out['x-forwarded-for'] = priorFor ? `${priorFor}, ${client}` : client;
  out['x-forwarded-proto'] = opts.scheme;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  out['x-forwarded-port'] = String(opts.publicPort);
  for (const [name, value] of Object.entries(opts.added)) out[name.toLowerCase()] = value;
  return out;
}

/** The headers of a workspace's response as the client may see them: no hop-by-hop, no Atelier cookies. */
export function responseHeadersForClient(
  res: IncomingMessage,
  isAtelierCookieName: (name: string) => boolean,
): HeaderMap {
  const dropped = connectionTokens(res);
  const out: HeaderMap = {};
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = (res.rawHeaders[i] as string).toLowerCase();
    const value = res.rawHeaders[i + 1] as string;
    if (HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    // HSTS is the edge's decision for all of Atelier's hosts (security-headers.ts), not a workspace's
    if (name === 'strict-transport-security') continue;
    // a workspace must not set (or shadow) the cookies that guard other workspaces or the dashboard
    if (name === 'set-cookie' && isAtelierCookieName(parseCookies(value.split(';')[0])[0]?.name ?? ''))
      continue;
    append(out, name, value);
  }
  return out;
}

/** The request line and headers of an upgrade request, as written to the upstream socket. */
export function serializeRequestHead(method: string, path: string, headers: HeaderMap): string {
  const lines = [`${method} ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers))
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
