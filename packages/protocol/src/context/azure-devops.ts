// Azure DevOps context URLs: <org>/<project>/_git/<repo> (or the short <org>/_git/<repo>), then
// ?version=GB<branch>|GT<tag>|GC<sha> and ?path=, pullrequest/<n> or commit/<sha> (gitpod.md §5).
import {
  atCommit,
  atRef,
  fail,
  numbered,
  type ProviderUrl,
  providerUrl,
  repositoryOf,
  stripGitSuffix,
} from './targets.js';
import type { ContextRef, ContextRepository, ContextTarget } from './types.js';

/** Azure names may hold spaces and most punctuation, not these (nor control characters). */
const FORBIDDEN_IN_NAMES = /[/\\:*?"<>|#%]/;

interface AzurePath {
  organization: string;
  project: string;
  repo: string;
  page: string[];
}

function readAzurePath(url: ProviderUrl): AzurePath {
  // ssh: v3/<org>/<project>/<repo>
  const ssh = url.viaSsh && url.segments[0] === 'v3' ? url.segments.slice(1) : [];
  const segments = ssh.length === 3 ? [...ssh.slice(0, 2), '_git', ...ssh.slice(2)] : url.segments;
  const [organization, second, third, fourth, ...rest] = segments;
  if (organization && second && third === '_git' && fourth) {
    return { organization, project: second, repo: fourth, page: rest };
  }
  // the short form: a repository named like its project
  if (organization && second === '_git' && third) {
    return { organization, project: third, repo: third, page: fourth === undefined ? [] : [fourth, ...rest] };
  }
  const example = providerUrl(url.provider, ['organization', 'project', '_git', 'repository']);
  throw fail(url, `an Azure DevOps URL names a repository as ${example}`);
}

function checkAzureName(url: ProviderUrl, value: string, what: string): string {
  if (FORBIDDEN_IN_NAMES.test(value)) {
    throw fail(
      url,
      `"${value}" is not a valid Azure DevOps ${what} name: it may not hold / \\ : * ? " < > | # %`,
    );
  }
  return value;
}

/** `?path=/src/a.ts`: the path without its leading "/", undefined for the root. */
function pathOfQuery(url: ProviderUrl): string | undefined {
  const path = url.query.get('path')?.replace(/^\/+|\/+$/g, '');
  if (!path) return undefined;
  if (path.split('/').some((p) => p === '.' || p === '..')) {
    throw fail(url, '"." and ".." may not appear in the path: name the folder itself');
  }
  return path;
}

/** `?version=GB<branch>`, `GT<tag>` or `GC<sha>` (the last one a commit). */
function versionOfQuery(url: ProviderUrl): { ref?: ContextRef; sha?: string } {
  const version = url.query.get('version');
  if (!version) return {};
  const name = version.slice(2);
  const kind = version.slice(0, 2);
  if (name && kind === 'GB') return { ref: { name, type: 'branch' } };
  if (name && kind === 'GT') return { ref: { name, type: 'tag' } };
  if (name && kind === 'GC') return { sha: name };
  throw fail(
    url,
    `?version=${version} is no Azure DevOps version: write GB<branch>, GT<tag> or GC<commit SHA>`,
  );
}

export function parseAzureDevOps(url: ProviderUrl): ContextTarget {
  const path = readAzurePath(url);
  const organization = checkAzureName(url, path.organization, 'organization');
  const project = checkAzureName(url, path.project, 'project');
  const name = checkAzureName(url, stripGitSuffix(path.repo), 'repository');
  const repository: ContextRepository = repositoryOf(
    url,
    `${organization}/${project}`,
    name,
    providerUrl(url.provider, [organization, project, '_git', name]),
  );
  const [keyword, ...args] = path.page;
  if (keyword === 'pullrequest') return numbered(url, repository, 'pull-request', args[0]);
  if (keyword === 'commit') return atCommit(url, repository, args[0], pathOfQuery(url));
  const { ref, sha } = versionOfQuery(url);
  if (sha !== undefined) return atCommit(url, repository, sha, pathOfQuery(url));
  return atRef(repository, ref, pathOfQuery(url));
}
