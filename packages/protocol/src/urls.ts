// Public host names of a workspace (Gitpod's templates without the cluster suffix).
import type { WorkspaceId } from './ids.js';

export interface PublicUrls {
  scheme: 'http' | 'https';
  domain: string;
  /** the externally visible port, omitted from URLs when it is the scheme's default */
  port: number;
  /** where users reach the SSH gateway; absent when it is off */
  ssh?: { host: string; port: number };
}

function origin(u: PublicUrls, host: string): string {
  const defaultPort = u.scheme === 'https' ? 443 : 80;
  return `${u.scheme}://${host}${u.port === defaultPort ? '' : `:${u.port}`}`;
}

export const dashboardUrl = (u: PublicUrls) => origin(u, u.domain);
export const workspaceUrl = (u: PublicUrls, id: WorkspaceId | string) => origin(u, `${id}.ws.${u.domain}`);
export const portUrl = (u: PublicUrls, id: WorkspaceId | string, port: number) =>
  origin(u, `${port}-${id}.ws.${u.domain}`);

export type WorkspaceHost =
  | { kind: 'dashboard' }
  | { kind: 'workspace'; workspaceId: string }
  | { kind: 'port'; workspaceId: string; port: number }
  | { kind: 'unknown' };

const WSID = '([a-z0-9][0-9a-z-]{8,60})';

/** Classifies a Host header (port stripped) against the configured domain. */
export function classifyHost(hostHeader: string, domain: string): WorkspaceHost {
  const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
  if (host === domain) return { kind: 'dashboard' };
  const suffix = `.ws.${domain}`;
  if (!host.endsWith(suffix)) return { kind: 'unknown' };
  const label = host.slice(0, -suffix.length);
  const port = new RegExp(`^([0-9]{1,5})-${WSID}$`).exec(label);
  if (port) {
    const n = Number(port[1]);
    return n >= 1 && n <= 65535
      ? { kind: 'port', workspaceId: port[2] as string, port: n }
      : { kind: 'unknown' };
  }
  const ws = new RegExp(`^${WSID}$`).exec(label);
  return ws ? { kind: 'workspace', workspaceId: ws[1] as string } : { kind: 'unknown' };
}

/** Gitpod's owner cookie name: `_<domain with [ .-] as _>_ws_<instanceId>_owner_`. */
export function ownerCookieName(domain: string, instanceId: string): string {
  return `_${domain.replace(/[ .-]/g, '_')}_ws_${instanceId}_owner_`;
}
/** The dashboard's session cookie; `__Host-` prefixed (and Secure) when served over https. */
export function sessionCookieName(scheme: 'http' | 'https'): string {
  return scheme === 'https' ? '__Host-atelier_session' : 'atelier_session';
}
export const SESSION_COOKIE_NAMES = [sessionCookieName('http'), sessionCookieName('https')] as const;

export const OWNER_TOKEN_HEADERS = ['x-atelier-owner-token', 'x-gitpod-owner-token'] as const;
