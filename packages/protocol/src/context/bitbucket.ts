// Bitbucket Cloud context URLs: workspace/repo, then src, branch, commits (…/tag/<t>, …/branch/<b>),
// pull-requests or issues (gitpod.md §5).
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
import type { ContextRepository, ContextTarget } from './types.js';

export function parseBitbucket(url: ProviderUrl): ContextTarget {
  const [workspace, repo, keyword, ...args] = url.segments;
  if (workspace === undefined || repo === undefined) {
    const example = providerUrl(url.provider, ['workspace', 'repo']);
    throw fail(url, `a Bitbucket URL needs workspace and repository, such as ${example}`);
  }
  checkName(url, workspace, 'Bitbucket workspace');
  const name = checkName(url, stripGitSuffix(repo), 'Bitbucket repository');
  const repository = repositoryOf(
    url,
    workspace,
    name,
    `${providerUrl(url.provider, [workspace, name])}.git`,
  );
  switch (keyword) {
    case 'src':
      // src/<branch|tag|sha>[/path]; Gitpod takes one segment as the ref, the server tries longer ones too
      return atRefAndPath(repository, args);
    case 'branch': {
      const branch = joined(args);
      return atRef(repository, branch ? { name: branch, type: 'branch' } : undefined);
    }
    case 'commits':
      return commits(url, repository, args);
    case 'pull-requests':
      return numbered(url, repository, 'pull-request', args[0]);
    case 'issues':
      return numbered(url, repository, 'issue', args[0]);
    default:
      return atRef(repository);
  }
}

/** commits/<sha>, commits/tag/<tag>, commits/branch/<branch>; commits alone is the history. */
function commits(url: ProviderUrl, repository: ContextRepository, args: readonly string[]): ContextTarget {
  const [first, ...rest] = args;
  if (first === 'tag' || first === 'branch') {
    const name = joined(rest);
    return atRef(repository, name ? { name, type: first } : undefined);
  }
  return atCommit(url, repository, first);
}
