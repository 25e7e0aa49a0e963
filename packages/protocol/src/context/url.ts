// Reads the form of a context URL (https://, http://, host/… without scheme, ssh://, user@host:path)
// into host, path segments and query, refusing credentials, other schemes and malformed escapes.
import { AppError } from '../errors.js';

export interface ContextLocation {
  transport: 'https' | 'http' | 'ssh';
  /** lower case; an http(s) URL's port is part of it (an ssh port is the ssh server's: not) */
  host: string;
  /** the path segments, still %-encoded as given (an ssh path as written), empty ones dropped */
  rawSegments: string[];
  /** empty for ssh */
  query: URLSearchParams;
  /** `?…` as given (normalized by the URL parser), or "" */
  search: string;
  /** the ssh form as written, for a clone URL of an unknown host: `git@host:path` or `ssh://…` */
  sshUrl?: string;
  /** false for `host/…`: the caller decides whether the first segment really was a host */
  schemeGiven: boolean;
}

const SCP_LIKE = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const HOST_LIKE = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;
const EXAMPLE = 'give a repository URL such as https://github.com/owner/repo or git@host:owner/repo.git';

export function invalid(message: string): AppError {
  return new AppError('invalid_argument', message);
}

/** Reads the context (without prefixes). */
export function readLocation(text: string): ContextLocation {
  const scp = SCP_LIKE.exec(text);
  if (scp) return readScpLike(text, scp[2] ?? '', scp[3] ?? '');
  // `user:password@host/…` without a scheme
  if (/^[^/:@]+:[^/@]*@/.test(text)) throw credentialsError();
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  const known = scheme === 'https' || scheme === 'http' || scheme === 'ssh';
  if (known && !text.slice(scheme.length + 1).startsWith('//')) {
    throw invalid(`"${text}" is not a context URL: write ${scheme}:// before the host`);
  }
  if (known) return scheme === 'ssh' ? readSshUrl(text) : readWebUrl(text, true);
  // `host:8443/path` is a host with a port, not a scheme
  if (scheme !== undefined && !/^[^/]+:\d{1,5}(\/|$)/.test(text)) {
    throw invalid(
      `unsupported scheme "${scheme}:" in the context URL: use https://, http://, ssh:// or git@host:owner/repo`,
    );
  }
  const first = text.split('/')[0] ?? '';
  if (!HOST_LIKE.test(first)) {
    throw invalid(`"${text}" is not a context URL: ${EXAMPLE}`);
  }
  return readWebUrl(`https://${text}`, false);
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    // the TypeError says only "Invalid URL"; the message below says what to give instead
    throw invalid(`"${text}" is not a context URL: ${EXAMPLE}`);
  }
}

/** The URL is not quoted: it holds a secret. */
function credentialsError(): AppError {
  return invalid(
    'remove the user name and password from the context URL: credentials are not stored (sign in to the SCM provider instead)',
  );
}

function refuseCredentials(url: URL, allowUser: boolean): void {
  if (url.password || (url.username && !allowUser)) throw credentialsError();
}

function readWebUrl(text: string, schemeGiven: boolean): ContextLocation {
  const url = parseUrl(text);
  refuseCredentials(url, false);
  if (!url.hostname) throw invalid(`"${text}" names no host: ${EXAMPLE}`);
  return {
    transport: url.protocol === 'http:' ? 'http' : 'https',
    host: url.host.toLowerCase(),
    rawSegments: url.pathname.split('/').filter(Boolean),
    query: url.searchParams,
    search: url.search,
    schemeGiven,
  };
}

function readSshUrl(text: string): ContextLocation {
  const url = parseUrl(text);
  refuseCredentials(url, true);
  if (url.search || url.hash) {
    throw invalid(`"${text}": an ssh clone URL has no query (?…) or fragment (#…): remove it`);
  }
  // a non-special scheme keeps its host as written: lower-case it as http(s) URLs are
  const hostname = url.hostname.toLowerCase();
  if (!hostname) throw invalid(`"${text}" names no host: write ssh://git@host/owner/repo.git`);
  const user = url.username ? `${url.username}@` : '';
  const port = url.port ? `:${url.port}` : '';
  const path = url.pathname.replace(/\/+$/, '');
  return {
    transport: 'ssh',
    host: hostname,
    rawSegments: path.split('/').filter(Boolean),
    query: new URLSearchParams(),
    search: '',
    sshUrl: `ssh://${user}${hostname}${port}${path}`,
    schemeGiven: true,
  };
}

function readScpLike(text: string, host: string, path: string): ContextLocation {
  if (path.includes('?') || path.includes('#')) {
    throw invalid(`"${text}": an ssh clone URL has no query (?…) or fragment (#…): remove it`);
  }
  const trimmed = path.replace(/\/+$/, '');
  const user = text.slice(0, text.indexOf('@'));
  return {
    transport: 'ssh',
    host: host.toLowerCase(),
    rawSegments: trimmed.split('/').filter(Boolean),
    query: new URLSearchParams(),
    search: '',
    sshUrl: `${user}@${host.toLowerCase()}:${trimmed}`,
    schemeGiven: true,
  };
}

/**
 * Decodes path segments (%20 → space, %2F → "/") and refuses what no repository path holds:
 * malformed escapes, control characters, and "." or ".." (also hidden as %2F..%2F).
 */
export function decodeSegments(display: string, raw: readonly string[]): string[] {
  return raw.map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // the URIError says only "URI malformed"; the message below says where
      throw invalid(`${display}: "${segment}" has a malformed %-escape: write % as %25`);
    }
    if (/\p{Cc}/u.test(decoded)) {
      throw invalid(`${display}: a path segment holds a control character: remove it`);
    }
    if (decoded.split('/').some((part) => part === '.' || part === '..')) {
      throw invalid(`${display}: "." and ".." may not appear in the path: name the folder itself`);
    }
    return decoded;
  });
}
