// GitLab context URLs: a project below nested groups, then (after the /-/ separator, or without it
// in older URLs) merge_requests, tree|blob|commits, issues or commit (gitpod.md §5).
import {
  atCommit,
  atRef,
  atRefAndPath,
  checkName,
  fail,
  numbered,
  type ProviderUrl,
  providerUrl,
  repositoryOf,
  stripGitSuffix,
} from './targets.js';
import type { ContextTarget } from './types.js';

/** The pages this parser reads; without `/-/` they end the project path. */
const PAGES = new Set(['tree', 'blob', 'commits', 'commit', 'merge_requests', 'issues']);

/**
 * Splits the path into the project's (groups and project) and the page's. Gitpod asks the API
 * which prefix is a project; a pure parser cannot, so it takes `/-/` when present, else the first
 * page keyword after group and project; a subgroup named like a page needs the `/-/` form.
 */
function splitProjectPath(segments: readonly string[]): { project: string[]; page: string[] } {
  const separator = segments.indexOf('-');
  if (separator !== -1) {
    return { project: segments.slice(0, separator), page: segments.slice(separator + 1) };
  }
  const pageStart = segments.findIndex((s, i) => i >= 2 && PAGES.has(s));
  if (pageStart === -1) return { project: [...segments], page: [] };
  return { project: segments.slice(0, pageStart), page: segments.slice(pageStart) };
}

export function parseGitLab(url: ProviderUrl): ContextTarget {
  const { project, page } = splitProjectPath(url.segments);
  const last = project.at(-1);
  if (project.length < 2 || last === undefined) {
    const example = providerUrl(url.provider, ['group', 'project']);
    throw fail(
      url,
      `a GitLab URL needs a group and a project, such as ${example} (or group/subgroup/project)`,
    );
  }
  const groups = project.slice(0, -1).map((g) => checkName(url, g, 'GitLab group'));
  const name = checkName(url, stripGitSuffix(last), 'GitLab project');
  const repository = repositoryOf(
    url,
    groups.join('/'),
    name,
    `${providerUrl(url.provider, [...groups, name])}.git`,
  );
  const [keyword, ...args] = page;
  switch (keyword) {
    case 'merge_requests':
      return numbered(url, repository, 'pull-request', args[0], 'a merge request');
    case 'issues':
      return numbered(url, repository, 'issue', args[0]);
    case 'commit':
      return atCommit(url, repository, args[0]);
    case 'tree':
    case 'blob':
    case 'commits':
      return atRefAndPath(repository, args);
    default:
      // any other page (pipelines, wikis, …) opens the project, as in Gitpod
      return atRef(repository);
  }
}
