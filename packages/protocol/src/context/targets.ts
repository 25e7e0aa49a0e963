// What the SCM parsers share: the URL they are given, name checks, numbers, SHAs, and the
// repository-at-a-revision target of `tree|blob|commits|src/<ref>[/path]`.
import type { AppError } from '../errors.js';
import type { ScmProviderHost } from './providers.js';
import type { ContextRef, ContextRepository, ContextTarget } from './types.js';
import { invalid } from './url.js';

/** A URL on a known provider, as its SCM parser sees it. */
export interface ProviderUrl {
  provider: ScmProviderHost;
  /** the path segments after the provider's host and path, decoded */
  segments: string[];
  /** the query of an http(s) URL; empty for ssh */
  query: URLSearchParams;
  /** the context as given (without prefixes), for messages */
  display: string;
  /** an ssh clone URL: its path is the one ssh serves, not a web page's */
  viaSsh: boolean;
}

/** GitHub, GitLab and Bitbucket names: letters, digits, ".", "_" and "-". */
export const NAME_RULE = /^[A-Za-z0-9._-]+$/;
const NUMBER_RULE = /^[1-9][0-9]{0,9}$/;
const SHA_RULE = /^[0-9a-fA-F]{7,40}$/;

export function fail(url: ProviderUrl, problem: string): AppError {
  return invalid(`${url.display}: ${problem}`);
}

/** The value, if it is a valid name of the kind `what` ("GitHub owner", say). */
export function checkName(url: ProviderUrl, value: string, what: string, rule = NAME_RULE): string {
  if (!rule.test(value)) {
    throw fail(url, `"${value}" is not a valid ${what} name: use letters, digits, ".", "_" and "-"`);
  }
  return value;
}

export function stripGitSuffix(name: string): string {
  return name.length > 4 && name.endsWith('.git') ? name.slice(0, -4) : name;
}

/** `https://<provider host>/<segments, each %-encoded>` */
export function providerUrl(provider: ScmProviderHost, segments: readonly string[]): string {
  return `https://${provider.host}/${segments.map(encodeURIComponent).join('/')}`;
}

export function repositoryOf(
  url: ProviderUrl,
  owner: string,
  name: string,
  cloneUrl: string,
): ContextRepository {
  return { provider: url.provider.type, host: url.provider.host, owner, name, cloneUrl };
}

/** A pull request, merge request or issue number: a positive whole number. */
export function pageNumber(url: ProviderUrl, value: string, what: string): number {
  if (!NUMBER_RULE.test(value)) {
    throw fail(url, `"${value}" is not ${what} number: write a positive whole number`);
  }
  return Number(value);
}

/** A commit SHA, full or abbreviated, lower-cased. */
export function commitSha(url: ProviderUrl, value: string): string {
  if (!SHA_RULE.test(value)) {
    throw fail(url, `"${value}" is not a commit SHA: write 7 to 40 hexadecimal digits`);
  }
  return value.toLowerCase();
}

/** The repository at the default branch, or at a ref the URL names exactly, or in a folder. */
export function atRef(repository: ContextRepository, ref?: ContextRef, path?: string): ContextTarget {
  return {
    kind: 'repository',
    repository,
    ...(ref ? { ref } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * The segments after `tree|blob|commits/` or `src/`: none is the default branch; one is a ref of
 * unknown type (branch, tag or commit); more leave the split between ref and path to the server.
 */
export function atRefAndPath(repository: ContextRepository, segments: readonly string[]): ContextTarget {
  const [first, ...more] = segments;
  if (first === undefined) return atRef(repository);
  if (more.length === 0) return atRef(repository, { name: first, type: 'unknown' });
  return { kind: 'repository', repository, refAndPath: [...segments] };
}

/** `<keyword>/<n>`: the numbered page; the keyword alone is a listing, which opens the repository. */
export function numbered(
  url: ProviderUrl,
  repository: ContextRepository,
  kind: 'pull-request' | 'issue',
  value: string | undefined,
  what = kind === 'issue' ? 'an issue' : 'a pull request',
): ContextTarget {
  if (value === undefined) return atRef(repository);
  return { kind, repository, number: pageNumber(url, value, what) };
}

/** `<keyword>/<sha>`: the commit; the keyword alone (a history page) opens the repository. */
export function atCommit(
  url: ProviderUrl,
  repository: ContextRepository,
  value: string | undefined,
  path?: string,
): ContextTarget {
  if (value === undefined) return atRef(repository);
  return { kind: 'commit', repository, sha: commitSha(url, value), ...(path ? { path } : {}) };
}

/** A name that may hold "/" (a branch `feature/x`, a tag `release/1.0`), or undefined when empty. */
export function joined(segments: readonly string[]): string | undefined {
  return segments.length > 0 ? segments.join('/') : undefined;
}
