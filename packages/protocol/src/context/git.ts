// Plain git URLs on a host that is no configured SCM provider: https, http, ssh:// and user@host:path,
// cloned as given (no pages, refs or pull requests: only a provider's URLs name those).
import type { ContextTarget } from './types.js';
import { type ContextLocation, invalid } from './url.js';

/** Without a scheme, a first segment without "." or a port is no host (`owner/repo`, say). */
function looksLikeHost(host: string): boolean {
  return host.includes('.') || host.includes(':') || host === 'localhost';
}

/** The location's path segments have passed decodeSegments (parse.ts). */
export function parseGitUrl(location: ContextLocation, display: string): ContextTarget {
  if (!location.schemeGiven && !looksLikeHost(location.host)) {
    throw invalid(
      `"${display}" is not a context URL: give a repository URL such as https://github.com/owner/repo or git@host:owner/repo.git`,
    );
  }
  if (location.rawSegments.length === 0) {
    throw invalid(
      `${display} names a host but no repository: add its path, such as https://host/owner/repo.git`,
    );
  }
  if (location.search) {
    throw invalid(`${display}: a git repository URL has no query (?…): remove it`);
  }
  const cloneUrl =
    location.sshUrl ?? `${location.transport}://${location.host}/${location.rawSegments.join('/')}`;
  return { kind: 'git', host: location.host, cloneUrl };
}
