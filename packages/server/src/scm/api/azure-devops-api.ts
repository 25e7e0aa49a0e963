// Azure DevOps Services' Git REST API (7.1) for one repository of an organization's project:
// dev.azure.com/{organization}/{project}/_apis/git/repositories/{repository}.
import { AppError, type ContextRepository } from '@atelier/protocol';
import { z } from 'zod';
import { SUPPRESS_SIGN_IN_PAGE } from '../azure-devops-oauth.js';
import { type ScmEndpoint, ScmHttp, type ScmRepositoryApi } from './scm-api.js';

const repoSchema = z.object({
  id: z.string(),
  name: z.string(),
  // an empty repository has no default branch
  defaultBranch: z.string().optional(),
  remoteUrl: z.string(),
  project: z.object({ name: z.string(), visibility: z.string().optional() }),
});
const pullSchema = z.object({
  title: z.string(),
  sourceRefName: z.string(),
  targetRefName: z.string(),
  // absent while Azure DevOps computes the merge
  lastMergeSourceCommit: z.object({ commitId: z.string() }).optional(),
  // a pull request from a fork: the fork's branch and repository
  forkSource: z
    .object({
      name: z.string(),
      repository: z.object({
        id: z.string(),
        remoteUrl: z.string().optional(),
        project: z.object({ name: z.string() }).optional(),
      }),
    })
    .optional(),
});
const commitSchema = z.object({ commitId: z.string() });
const refsSchema = z.object({
  value: z.array(z.object({ name: z.string(), objectId: z.string(), peeledObjectId: z.string().optional() })),
});
const itemsSchema = z.object({
  value: z.array(
    z.object({ path: z.string(), gitObjectType: z.string().optional(), isFolder: z.boolean().optional() }),
  ),
});

const FULL_SHA = /^[0-9a-f]{40}$/i;
const ABBREVIATED_SHA = /^[0-9a-f]{7,39}$/i;
const branchOf = (ref: string) => ref.replace(/^refs\/heads\//, '');
/** Azure DevOps puts the organization into its clone URLs (https://org@dev.azure.com/…): drop it. */
const withoutUser = (url: string) => url.replace(/^(https?:\/\/)[^@/]+@/, '$1');

export function azureDevOpsRepositoryApi(
  endpoint: ScmEndpoint,
  repository: ContextRepository,
  token: string | undefined,
): ScmRepositoryApi {
  const full = `${repository.owner}/${repository.name}`;
  const [org = '', project = ''] = repository.owner.split('/');
  const http = new ScmHttp(endpoint, token, full, SUPPRESS_SIGN_IN_PAGE);
  // without a token a private project answers 401: to the user, a repository not found
  const absentOn = token ? [] : [401];
  const repositories = (inProject: string) =>
    `${endpoint.webOrigin}/${encodeURIComponent(org)}/${encodeURIComponent(inProject)}/_apis/git/repositories`;
  const base = `${repositories(project)}/${encodeURIComponent(repository.name)}`;
  const query = (params: Record<string, string> = {}) =>
    `?${new URLSearchParams({ ...params, 'api-version': '7.1' })}`;

  const info = async (url: string, name: string) => {
    const r = await http.json(url + query(), repoSchema, `repository ${name}`, absentOn);
    if (!r) throw http.notFound(name === full ? 'the repository' : name);
    return { ...r, cloneUrl: withoutUser(r.remoteUrl) };
  };
  /** The ref `refs/<kind>/<name>` exactly (the API's filter is a prefix), with a tag's commit. */
  const ref = async (kind: 'heads' | 'tags', name: string) => {
    const what = `${kind === 'heads' ? 'branch' : 'tag'} ${name}`;
    const url = `${base}/refs${query({ filter: `${kind}/${name}`, peelTags: 'true' })}`;
    const found = (await http.json(url, refsSchema, what, absentOn))?.value.find(
      (r) => r.name === `refs/${kind}/${name}`,
    );
    return found && { sha: found.peeledObjectId ?? found.objectId };
  };
  const refType = async (name: string): Promise<'branch' | 'tag' | undefined> => {
    if (await ref('heads', name)) return 'branch';
    if (await ref('tags', name)) return 'tag';
    return undefined;
  };
  /** The items API's version descriptor for a commit id, branch or tag; undefined when it names none. */
  const version = async (rev: string): Promise<Record<string, string> | undefined> => {
    const type = FULL_SHA.test(rev) ? 'commit' : await refType(rev);
    return type && { 'versionDescriptor.version': rev, 'versionDescriptor.versionType': type };
  };

  return {
    endpoint,
    async repository() {
      const r = await info(base, full);
      if (!r.defaultBranch) {
        throw new AppError(
          'invalid_argument',
          `${full} on ${endpoint.id} has no commits yet: push one first`,
        );
      }
      return {
        defaultBranch: branchOf(r.defaultBranch),
        cloneUrl: r.cloneUrl,
        private: r.project.visibility !== 'public',
      };
    },
    async pullRequest(number) {
      const what = `pull request !${number}`;
      const pr = await http.json(`${base}/pullrequests/${number}${query()}`, pullSchema, what, absentOn);
      if (!pr) throw http.notFound(what);
      const target = await info(base, full);
      const fork = pr.forkSource;
      const source = !fork
        ? target.cloneUrl
        : fork.repository.remoteUrl
          ? withoutUser(fork.repository.remoteUrl)
          : (
              await info(
                `${repositories(fork.repository.project?.name ?? project)}/${encodeURIComponent(fork.repository.id)}`,
                `the fork of ${what}`,
              )
            ).cloneUrl;
      return {
        title: pr.title,
        head: {
          cloneUrl: source,
          branch: branchOf(fork?.name ?? pr.sourceRefName),
          sha: pr.lastMergeSourceCommit?.commitId ?? '',
        },
        base: { cloneUrl: target.cloneUrl, branch: branchOf(pr.targetRefName) },
      };
    },
    async issue() {
      throw new AppError(
        'not_found',
        `Azure DevOps keeps issues as work items, which Atelier cannot open yet: open ${full}, one of its branches or a pull request instead`,
      );
    },
    async commit(rev) {
      if (FULL_SHA.test(rev)) {
        const url = `${base}/commits/${rev}${query()}`;
        return (await http.json(url, commitSchema, `commit ${rev}`, absentOn))?.commitId;
      }
      const named = (await ref('heads', rev)) ?? (await ref('tags', rev));
      if (named) return named.sha;
      if (ABBREVIATED_SHA.test(rev)) {
        throw new AppError(
          'not_found',
          `${endpoint.id} finds a commit by its full 40-digit id only, and ${rev} is shorter: copy the full id from the commit's page`,
        );
      }
      return undefined;
    },
    refType,
    async readFile(rev, path) {
      const at = await version(rev);
      if (!at) return undefined;
      const url = `${base}/items${query({ path: `/${path}`, $format: 'octetStream', ...at })}`;
      return (await http.raw(url, path, 'application/octet-stream'))?.toString('utf8');
    },
    async listDir(rev, path) {
      const at = await version(rev);
      if (!at) return undefined;
      const url = `${base}/items${query({ scopePath: `/${path}`, recursionLevel: 'OneLevel', ...at })}`;
      const listing = await http.json(url, itemsSchema, path, absentOn);
      const [self, ...entries] = listing?.value ?? [];
      // the folder itself comes first; a file there is no folder
      if (!self?.isFolder) return undefined;
      return entries.map((e) => ({
        name: e.path.split('/').pop() ?? e.path,
        type: e.isFolder || e.gitObjectType === 'tree' ? 'dir' : 'file',
      }));
    },
  };
}
