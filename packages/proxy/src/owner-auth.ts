// Owner-token checks on workspace hosts, and the cookie minting endpoint `POST /_atelier/auth`
// that turns a token (from the dashboard's start page) into a cookie for all `*.ws.<domain>` hosts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  classifyHost,
  OWNER_TOKEN_HEADERS,
  ownerCookieName,
  type PublicUrls,
  portUrl,
  workspaceUrl,
} from '@atelier/protocol';
import { parseCookies } from './headers.js';
import type { RouteTarget } from './types.js';

export const AUTH_PATH = '/_atelier/auth';
const MAX_AUTH_BODY = 8 * 1024;

/** Compares two secrets in time independent of where they differ (hashing evens out the lengths). */
export function tokensEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Whether a request to this host needs the owner's token: everything but public ports, and nothing
 * of a shared workspace (Gitpod's admission "everyone": its IDE and every port answer anyone).
 */
export function needsOwner(port: number | undefined, target: RouteTarget): boolean {
  if (target.shared) return false;
  return port === undefined || !target.isPublicPort(port);
}

export type OwnerCheck = 'ok' | 'missing' | 'wrong';

/** Checks the owner cookie of the instance and the owner token headers; one matching credential is enough. */
export function checkOwner(req: IncomingMessage, target: RouteTarget, domain: string): OwnerCheck {
  const presented: string[] = [];
  const name = ownerCookieName(domain, target.instanceId);
  for (const c of parseCookies(req.headers.cookie)) {
    if (c.name !== name) continue;
    try {
      presented.push(decodeURIComponent(c.value));
    } catch {
      presented.push(c.value); // not percent-decodable: compared as sent (and so never equal to a token)
    }
  }
  for (const h of OWNER_TOKEN_HEADERS) {
    const value = req.headers[h];
    if (typeof value === 'string') presented.push(value.trim());
  }
  if (presented.length === 0) return 'missing';
  let ok = false;
  for (const p of presented) ok = tokensEqual(p, target.ownerToken) || ok; // no early exit
  return ok ? 'ok' : 'wrong';
}

/** The Set-Cookie value that carries the owner token to every host of the workspace. */
export function ownerCookie(urls: PublicUrls, target: RouteTarget): string {
  const name = ownerCookieName(urls.domain, target.instanceId);
  const secure = urls.scheme === 'https' ? '; Secure' : '';
  return `${name}=${encodeURIComponent(target.ownerToken)}; Domain=ws.${urls.domain}; Path=/; HttpOnly; SameSite=Lax${secure}`;
}

/** Where to go after minting: `return` when it is this workspace's IDE host or one of its port hosts, else the IDE root. */
export function safeReturnUrl(raw: string | null, urls: PublicUrls, workspaceId: string): string {
  const home = `${workspaceUrl(urls, workspaceId)}/`;
  if (!raw) return home;
  let url: URL;
  try {
    url = new URL(raw, home);
  } catch {
    return home; // not a URL at all: go home
  }
  const host = classifyHost(url.hostname, urls.domain);
  const allowedOrigin =
    host.kind === 'workspace' && host.workspaceId === workspaceId
      ? workspaceUrl(urls, workspaceId)
      : host.kind === 'port' && host.workspaceId === workspaceId
        ? portUrl(urls, workspaceId, host.port)
        : undefined;
  return allowedOrigin !== undefined && url.origin === allowedOrigin && !url.username && !url.password
    ? url.href
    : home;
}

export type AuthForm =
  | { ok: true; token: string; returnTo: string | null }
  | { ok: false; status: 400 | 413 | 415; message: string };

/** Reads the `token=…&return=…` form of a minting request (at most 8 KiB). */
export async function readAuthForm(req: IncomingMessage): Promise<AuthForm> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    return { ok: false, status: 415, message: 'send the token as an application/x-www-form-urlencoded form' };
  if (Number(req.headers['content-length'] ?? 0) > MAX_AUTH_BODY)
    return { ok: false, status: 413, message: `the form is larger than ${MAX_AUTH_BODY} bytes` };
  const body = await new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= MAX_AUTH_BODY) return;
      req.off('data', onData);
      req.pause(); // the rest is never read; the reply closes the connection
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
  if (!body) return { ok: false, status: 413, message: `the form is larger than ${MAX_AUTH_BODY} bytes` };
  const form = new URLSearchParams(body.toString('utf8'));
  const token = form.get('token');
  if (!token) return { ok: false, status: 400, message: 'the form has no token field' };
  return { ok: true, token, returnTo: form.get('return') };
}
