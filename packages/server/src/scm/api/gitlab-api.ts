// GitLab's REST API (v4, gitlab.com or self-managed, nested groups) for one project.
import { AppError, type ContextRepository } from '@atelier/protocol';
import { z } from 'zod';
import { optionalRepository, type ScmEndpoint, ScmHttp, type ScmRepositoryApi } from './scm-api.js';

const projectSchema = z.object({
  id: z.number(),
  // an empty project has no default branch
  default_branch: z.string().nullable().optional(),
  http_url_to_repo: z.string(),
  path_with_namespace: z.string(),
  visibility: z.string().optional(),
});
const mergeRequestSchema = z.object({
  title: z.string(),
  source_branch: z.string(),
  target_branch: z.string(),
  source_project_id: z.number(),
  target_project_id: z.number(),
  sha: z.string().nullable(),
});
const issueSchema = z.object({ title: z.string() });
const commitSchema = z.object({ id: z.string() });
const named = z.object({ name: z.string() });
const treeSchema = z.array(z.object({ name: z.string(), type: z.string() }));

export function gitlabApiBase(endpoint: Pick<ScmEndpoint, 'webOrigin'>): string {
  return `${endpoint.webOrigin}/api/v4`;
}

export function gitlabRepositoryApi(
  endpoint: ScmEndpoint,
  repository: ContextRepository,
  token: string | undefined,
): ScmRepositoryApi {
  const full = `${repository.owner}/${repository.name}`;
  const http = new ScmHttp(endpoint, token, full);
  const projects = `${gitlabApiBase(endpoint)}/projects`;
  const base = `${projects}/${encodeURIComponent(full)}`;
  const project = async (url: string) => {
    const p = await http.json(url, projectSchema, `project ${full}`);
    if (!p) throw http.notFound('the project');
    return p;
  };
  return {
    endpoint,
    async repository() {
      const p = await project(base);
      if (!p.default_branch) {
        throw new AppError(
          'invalid_argument',
          `${full} on ${endpoint.id} has no commits yet: push one first`,
        );
      }
      return {
        defaultBranch: p.default_branch,
        cloneUrl: p.http_url_to_repo,
        private: p.visibility !== 'public',
      };
    },
    async pullRequest(number) {
      const mr = await http.json(
        `${base}/merge_requests/${number}`,
        mergeRequestSchema,
        `merge request !${number}`,
      );
      if (!mr) throw http.notFound(`merge request !${number}`);
      const target = await project(`${projects}/${mr.target_project_id}`);
      const source =
        mr.source_project_id === mr.target_project_id
          ? target
          : await project(`${projects}/${mr.source_project_id}`);
      return {
        title: mr.title,
        head: {
          cloneUrl: source.http_url_to_repo,
          branch: mr.source_branch,
          sha: mr.sha ?? '',
          ...optionalRepository(source.path_with_namespace),
        },
        base: { cloneUrl: target.http_url_to_repo, branch: mr.target_branch },
      };
    },
    async issue(number) {
      const issue = await http.json(`${base}/issues/${number}`, issueSchema, `issue #${number}`);
      if (!issue) throw http.notFound(`issue #${number}`);
      return { title: issue.title, isPullRequest: false };
    },
    async commit(rev) {
      return (
        await http.json(
          `${base}/repository/commits/${encodeURIComponent(rev)}`,
          commitSchema,
          `commit ${rev}`,
        )
      )?.id;
    },
    async refType(name) {
      if (
        await http.json(`${base}/repository/branches/${encodeURIComponent(name)}`, named, `branch ${name}`)
      ) {
        return 'branch';
      }
      if (await http.json(`${base}/repository/tags/${encodeURIComponent(name)}`, named, `tag ${name}`))
        return 'tag';
      return undefined;
    },
    async readFile(rev, path) {
      const url = `${base}/repository/files/${encodeURIComponent(path)}/raw?ref=${encodeURIComponent(rev)}`;
      return (await http.raw(url, path))?.toString('utf8');
    },
    async listDir(rev, path) {
      const url = `${base}/repository/tree?path=${encodeURIComponent(path)}&ref=${encodeURIComponent(rev)}&per_page=100`;
      const list = await http.json(url, treeSchema, path);
      return list?.map((e) => ({ name: e.name, type: e.type === 'tree' ? 'dir' : 'file' }));
    },
  };
}
