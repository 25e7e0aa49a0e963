// GitHub (and GitHub Enterprise) context URLs: owner/repo, then pull, tree|blob|commits,
// releases/tag, issues or commit (gitpod.md §5).
import {
  atCommit,
  atRef,
  atRefAndPath,
  checkName,
  fail,
  joined,
  numbered,
  type ProviderUrl,
  providerUrl,
  repositoryOf,
  stripGitSuffix,
} from './targets.js';
import type { ContextTarget } from './types.js';

export function parseGitHub(url: ProviderUrl): ContextTarget {
  const [owner, repo, keyword, ...args] = url.segments;
  if (owner === undefined || repo === undefined) {
    throw fail(
      url,
      `a GitHub URL needs owner and repository, such as ${providerUrl(url.provider, ['owner', 'repo'])}`,
    );
  }
  checkName(url, owner, 'GitHub owner');
  const name = checkName(url, stripGitSuffix(repo), 'GitHub repository');
  const repository = repositoryOf(url, owner, name, `${providerUrl(url.provider, [owner, name])}.git`);
  switch (keyword) {
    case 'pull':
      return numbered(url, repository, 'pull-request', args[0]);
    case 'issues':
      return numbered(url, repository, 'issue', args[0]);
    case 'commit':
      return atCommit(url, repository, args[0]);
    case 'tree':
    case 'blob':
    case 'commits':
      return atRefAndPath(repository, args);
    case 'releases': {
      // releases/tag/<tag>; the release list and releases/latest open the repository, as in Gitpod
      const tag = args[0] === 'tag' ? joined(args.slice(1)) : undefined;
      return atRef(repository, tag ? { name: tag, type: 'tag' } : undefined);
    }
    default:
      // any other page (actions, wiki, pulls, …) opens the repository, as in Gitpod
      return atRef(repository);
  }
}
