// GitHub's REST API (v3; api.github.com, or <origin>/api/v3 for GitHub Enterprise) for one repository.
import type { ContextRepository } from '@atelier/protocol';
import { z } from 'zod';
import {
  encodePath,
  optionalRepository,
  type ScmEndpoint,
  ScmHttp,
  type ScmRepositoryApi,
} from './scm-api.js';

const repoSchema = z.object({ default_branch: z.string(), clone_url: z.string(), private: z.boolean() });
const side = z.object({
  ref: z.string(),
  sha: z.string(),
  // null when the fork the pull request came from was deleted
  repo: z.object({ clone_url: z.string(), full_name: z.string() }).nullable(),
});
const pullSchema = z.object({ title: z.string(), head: side, base: side });
const issueSchema = z.object({ title: z.string(), pull_request: z.object({}).passthrough().optional() });
const commitSchema = z.object({ sha: z.string() });
const refSchema = z.object({ ref: z.string() });
const fileSchema = z.object({
  type: z.string(),
  encoding: z.string().optional(),
  content: z.string().optional(),
});
const dirSchema = z.array(z.object({ name: z.string(), type: z.string() }));

export function githubApiBase(endpoint: Pick<ScmEndpoint, 'host' | 'webOrigin'>): string {
  return endpoint.host === 'github.com' ? 'https://api.github.com' : `${endpoint.webOrigin}/api/v3`;
}

export function githubRepositoryApi(
  endpoint: ScmEndpoint,
  repository: ContextRepository,
  token: string | undefined,
): ScmRepositoryApi {
  const full = `${repository.owner}/${repository.name}`;
  const http = new ScmHttp(endpoint, token, full);
  const base = `${githubApiBase(endpoint)}/repos/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.name)}`;
  return {
    endpoint,
    async repository() {
      const r = await http.json(base, repoSchema, `repository ${full}`);
      if (!r) throw http.notFound('the repository');
      return { defaultBranch: r.default_branch, cloneUrl: r.clone_url, private: r.private };
    },
    async pullRequest(number) {
      const pr = await http.json(`${base}/pulls/${number}`, pullSchema, `pull request #${number}`);
      if (!pr) throw http.notFound(`pull request #${number}`);
      if (!pr.head.repo || !pr.base.repo) throw http.notFound(`the fork of pull request #${number}`);
      return {
        title: pr.title,
        head: {
          cloneUrl: pr.head.repo.clone_url,
          branch: pr.head.ref,
          sha: pr.head.sha,
          ...optionalRepository(pr.head.repo.full_name),
        },
        base: { cloneUrl: pr.base.repo.clone_url, branch: pr.base.ref },
      };
    },
    async issue(number) {
      const issue = await http.json(`${base}/issues/${number}`, issueSchema, `issue #${number}`);
      if (!issue) throw http.notFound(`issue #${number}`);
      return { title: issue.title, isPullRequest: issue.pull_request !== undefined };
    },
    async commit(rev) {
      // GitHub answers 422 for a name that is no commit
      return (await http.json(`${base}/commits/${encodePath(rev)}`, commitSchema, `commit ${rev}`, [422]))
        ?.sha;
    },
    async refType(name) {
      for (const [kind, type] of [
        ['heads', 'branch'],
        ['tags', 'tag'],
      ] as const) {
        const ref = await http.json(`${base}/git/ref/${kind}/${encodePath(name)}`, refSchema, `ref ${name}`);
        if (ref?.ref === `refs/${kind}/${name}`) return type;
      }
      return undefined;
    },
    async readFile(rev, path) {
      const url = `${base}/contents/${encodePath(path)}?ref=${encodeURIComponent(rev)}`;
      const file = await http.json(url, z.union([fileSchema, dirSchema]), path);
      if (!file || Array.isArray(file) || file.type !== 'file') return undefined;
      if (file.encoding === 'base64' && file.content !== undefined) {
        return Buffer.from(file.content, 'base64').toString('utf8');
      }
      // larger than 1 MB: GitHub leaves the content out ("encoding": "none"); the raw media type has it
      const raw = await http.raw(url, path, 'application/vnd.github.raw+json');
      return raw?.toString('utf8');
    },
    async listDir(rev, path) {
      const url = `${base}/contents/${encodePath(path)}?ref=${encodeURIComponent(rev)}`;
      const list = await http.json(url, z.union([dirSchema, fileSchema]), path);
      if (!list || !Array.isArray(list)) return undefined;
      return list.map((e) => ({ name: e.name, type: e.type === 'dir' ? 'dir' : 'file' }));
    },
  };
}
