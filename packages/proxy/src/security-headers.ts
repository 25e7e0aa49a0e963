// The security headers of every answer on Atelier's hosts (gitpod.md §6): set as defaults before a
// response starts, so the dashboard or a workspace may still send its own.
import type { ServerResponse } from 'node:http';
import { dashboardUrl, type PublicUrls } from '@atelier/protocol';

/** one year, as Gitpod; only over https, where a browser honours it */
export const HSTS = 'max-age=31536000';

/** The defaults for one host kind; the dashboard and workspace hosts may be framed only by Atelier's hosts. */
export function securityHeaders(
  urls: PublicUrls,
  host: 'dashboard' | 'workspace' | 'other',
): Record<string, string> {
  const headers: Record<string, string> = { 'x-content-type-options': 'nosniff' };
  if (urls.scheme === 'https') headers['strict-transport-security'] = HSTS;
  if (host === 'other') return headers;
  const dashboard = dashboardUrl(urls);
  const anyHost = dashboard.replace('://', '://*.');
  headers['content-security-policy'] = `frame-ancestors 'self' ${anyHost} ${dashboard}`;
  // a workspace app may open OAuth pop-ups and still talk to them, but not be reached by its opener
  if (host === 'workspace') headers['cross-origin-opener-policy'] = 'same-origin-allow-popups';
  return headers;
}

/** Sets the defaults on `res`; headers passed to writeHead later (the upstream's) take precedence. */
export function setDefaults(res: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}
