// Bitbucket Server (Data Center) context URLs: /projects/<KEY>/repos/<repo>, /users/<user>/repos/<repo>
// or /scm/<key>/<repo>.git, then browse?at=…, pull-requests/<n> or commits/<sha> (gitpod.md §5).
import {
  atCommit,
  atRef,
  checkName,
  fail,
  joined,
  NAME_RULE,
  numbered,
  type ProviderUrl,
  providerUrl,
  repositoryOf,
  stripGitSuffix,
} from './targets.js';
import type { ContextRef, ContextRepository, ContextTarget } from './types.js';

/** Project keys start with a letter; letters, digits and "_" follow. */
const PROJECT_KEY_RULE = /^[A-Za-z][A-Za-z0-9_]*$/;

interface RepositoryPath {
  /** the project key in upper case, or `~user` */
  owner: string;
  slug: string;
  page: string[];
}

function layoutError(url: ProviderUrl) {
  const [projects, users, scm] = [
    ['projects', 'KEY', 'repos', 'repo'],
    ['users', 'user', 'repos', 'repo'],
    ['scm', 'key', 'repo.git'],
  ].map((s) => providerUrl(url.provider, s));
  return fail(url, `a Bitbucket Server URL names a repository as ${projects}, ${users} or ${scm}`);
}

function ownerOf(url: ProviderUrl, keyOrUser: string): string {
  if (keyOrUser.startsWith('~')) return `~${checkName(url, keyOrUser.slice(1), 'Bitbucket Server user')}`;
  if (!PROJECT_KEY_RULE.test(keyOrUser)) {
    throw fail(
      url,
      `"${keyOrUser}" is not a Bitbucket Server project key: it starts with a letter, followed by letters, digits and "_"`,
    );
  }
  return keyOrUser.toUpperCase();
}

/** The three web layouts; an ssh path is the scm one without `scm/`. */
function readRepositoryPath(url: ProviderUrl): RepositoryPath {
  const segments = url.viaSsh ? ['scm', ...url.segments] : url.segments;
  const [kind, owner, third, fourth, ...rest] = segments;
  if (kind === 'scm' && owner !== undefined && third !== undefined) {
    const page = [fourth, ...rest].filter((s) => s !== undefined);
    return { owner: ownerOf(url, owner), slug: third, page };
  }
  if ((kind === 'projects' || kind === 'users') && owner !== undefined && third === 'repos' && fourth) {
    const ownerName = kind === 'users' ? `~${owner}` : owner;
    return { owner: ownerOf(url, ownerName), slug: fourth, page: rest };
  }
  throw layoutError(url);
}

/** `?at=` (browse) or `?until=` (commits): refs/heads/<b>, refs/tags/<t>, or a bare name. */
function refOfQuery(query: URLSearchParams): ContextRef | undefined {
  const at = query.get('at') || query.get('until');
  if (!at) return undefined;
  for (const [prefix, type] of [
    ['refs/heads/', 'branch'],
    ['refs/tags/', 'tag'],
  ] as const) {
    if (at.startsWith(prefix))
      return at.length > prefix.length ? { name: at.slice(prefix.length), type } : undefined;
  }
  return { name: at, type: 'unknown' };
}

export function parseBitbucketServer(url: ProviderUrl): ContextTarget {
  const { owner, slug, page } = readRepositoryPath(url);
  const name = checkName(url, stripGitSuffix(slug), 'Bitbucket Server repository', NAME_RULE);
  // clone URLs name a project by its key in lower case, a user by ~user
  const cloneOwner = owner.startsWith('~') ? owner : owner.toLowerCase();
  const repository: ContextRepository = repositoryOf(
    url,
    owner,
    name,
    `${providerUrl(url.provider, ['scm', cloneOwner, name])}.git`,
  );
  const [keyword, ...args] = page;
  switch (keyword) {
    case 'pull-requests':
      return numbered(url, repository, 'pull-request', args[0]);
    case 'commits':
      return args[0] === undefined
        ? atRef(repository, refOfQuery(url.query))
        : atCommit(url, repository, args[0]);
    case 'browse':
      return atRef(repository, refOfQuery(url.query), joined(args));
    default:
      return atRef(repository, refOfQuery(url.query));
  }
}
