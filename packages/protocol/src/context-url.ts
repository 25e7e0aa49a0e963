// Context URLs for this release: a git repository over http(s) or a file:// path, optionally after
// an environment prefix `VAR1=val1,VAR2=val2/` (reference/gitpod.md §5).
import { contextEnvProblem } from './env.js';
import { AppError } from './errors.js';

export interface RepositoryContext {
  /** the URL as given, normalized */
  contextUrl: string;
  /** what `git clone` is given */
  cloneUrl: string;
  kind: 'http' | 'file';
  /** best-effort names for ids and display */
  owner: string | undefined;
  repo: string | undefined;
  /** the variables of the `VAR=value,.../` prefix, values URL-decoded; empty without one */
  env: Record<string, string>;
}

/**
 * Parses a repository URL. Credentials in the URL are refused (they would end up in the
 * database and in the workspace's git config); SCM sign-in provides them in a later release.
 */
export function parseContextUrl(input: string): RepositoryContext {
  const { env, rest } = splitEnvPrefix(input.trim());
  return { ...parseRepositoryUrl(rest), env };
}

/**
 * Splits off the environment prefix: a first path segment holding "=" (no URL scheme does).
 * Every variable is checked against the block list; a refused one fails the whole URL, naming it.
 */
export function splitEnvPrefix(text: string): { env: Record<string, string>; rest: string } {
  const slash = text.indexOf('/');
  const head = slash === -1 ? '' : text.slice(0, slash);
  if (!head.includes('=')) return { env: {}, rest: text };
  const env = new Map<string, string>();
  for (const pair of head.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new AppError(
        'invalid_argument',
        `"${pair}" in the context URL's prefix is not NAME=value: write VAR1=value1,VAR2=value2/<repository URL>`,
      );
    }
    const name = pair.slice(0, eq);
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      // the URIError says only "URI malformed"; the message below says where
      throw new AppError(
        'invalid_argument',
        `the value of ${name} in the context URL has a malformed %-escape`,
      );
    }
    const problem = contextEnvProblem(name, value);
    if (problem) throw new AppError('invalid_argument', problem);
    if (env.has(name)) {
      throw new AppError('invalid_argument', `${name} appears twice in the context URL's prefix: keep one`);
    }
    env.set(name, value);
  }
  return { env: Object.fromEntries(env), rest: text.slice(slash + 1) };
}

function parseRepositoryUrl(text: string): Omit<RepositoryContext, 'env'> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError(
      'invalid_argument',
      `"${text}" is not a URL: give a git repository URL such as https://host/owner/repo.git or file:///path/to/repo`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') {
    throw new AppError(
      'invalid_argument',
      `unsupported scheme "${url.protocol}" in ${text}: use https://, http:// or file://`,
    );
  }
  if (url.username || url.password) {
    throw new AppError(
      'invalid_argument',
      'remove the user name and password from the URL: credentials are not stored',
    );
  }
  if (url.search || url.hash) {
    throw new AppError('invalid_argument', 'a repository URL has no query (?...) or fragment (#...)');
  }
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (segments.some((s) => s === '..' || s === '.')) {
    throw new AppError('invalid_argument', 'the repository path may not contain "." or ".." segments');
  }
  if (url.protocol === 'file:') {
    if (url.host) throw new AppError('invalid_argument', 'file URLs name a local path: file:///path/to/repo');
    if (segments.length === 0) throw new AppError('invalid_argument', 'file URL names no repository path');
  } else if (segments.length === 0) {
    throw new AppError('invalid_argument', `${text} names a host but no repository path`);
  }
  const repo = segments.at(-1)?.replace(/\.git$/, '');
  // a repository right below the host: the host names it (all of an IP address, which split is meaningless)
  const ipAddress = /^(\d{1,3}\.){3}\d{1,3}$|^\[/.test(url.hostname);
  const owner =
    segments.length >= 2 ? segments.at(-2) : ipAddress ? url.hostname : url.hostname.split('.')[0];
  const normalized = `${url.protocol}//${url.host}/${segments.map(encodeURIComponent).join('/')}`;
  return {
    contextUrl: normalized,
    cloneUrl: normalized,
    kind: url.protocol === 'file:' ? 'file' : 'http',
    owner,
    repo,
  };
}

/** The folder under /workspace the repository is cloned into. */
/**
 * The context a dashboard link carries after `#` (https://<domain>/#<context>): a repository URL,
 * optionally behind the `VAR=value,.../` prefix and %-encoded as a whole. Undefined when it is
 * no context at all (the dashboard then shows the workspace list); a context that the server
 * will refuse (a blocked variable, say) is passed on, so that the refusal says why.
 */
export function contextFromHash(hash: string): string | undefined {
  let text = hash.replace(/^#/, '').trim();
  if (/^[^/]*%3A/i.test(text)) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined; // a malformed escape is no repository URL
    }
  }
  const slash = text.indexOf('/');
  const url = slash > 0 && text.slice(0, slash).includes('=') ? text.slice(slash + 1) : text;
  return /^(https?|file):\/\/\S+$/i.test(url) && !/\s/.test(text) ? text : undefined;
}

export function checkoutFolder(ctx: Pick<RepositoryContext, 'repo'>): string {
  const cleaned = (ctx.repo ?? 'repo').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '');
  return cleaned.length > 0 ? cleaned : 'repo';
}
