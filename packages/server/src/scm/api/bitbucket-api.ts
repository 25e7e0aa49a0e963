// Bitbucket Cloud's REST API (2.0; api.bitbucket.org) for one repository.
import { AppError, type ContextRepository } from '@atelier/protocol';
import { z } from 'zod';
import {
  encodePath,
  optionalRepository,
  type ScmEndpoint,
  ScmHttp,
  type ScmRepositoryApi,
} from './scm-api.js';

const repoSchema = z.object({
  full_name: z.string(),
  is_private: z.boolean(),
  // an empty repository has no main branch
  mainbranch: z.object({ name: z.string() }).nullable().optional(),
  links: z.object({ clone: z.array(z.object({ name: z.string(), href: z.string() })) }),
});
const side = z.object({
  branch: z.object({ name: z.string() }),
  commit: z.object({ hash: z.string() }).nullable(),
  // null when the fork the pull request came from was deleted
  repository: z.object({ full_name: z.string() }).nullable(),
});
const pullSchema = z.object({ title: z.string(), source: side, destination: side });
const issueSchema = z.object({ title: z.string() });
const commitSchema = z.object({ hash: z.string() });
const refSchema = z.object({ name: z.string(), target: z.object({ hash: z.string() }) });
const listingSchema = z.object({
  values: z.array(z.object({ type: z.string(), path: z.string() })),
  next: z.string().optional(),
});

export function bitbucketApiBase(endpoint: Pick<ScmEndpoint, 'host' | 'webOrigin'>): string {
  return endpoint.host === 'bitbucket.org' ? 'https://api.bitbucket.org/2.0' : `${endpoint.webOrigin}/2.0`;
}

export function bitbucketRepositoryApi(
  endpoint: ScmEndpoint,
  repository: ContextRepository,
  token: string | undefined,
): ScmRepositoryApi {
  const full = `${repository.owner}/${repository.name}`;
  const http = new ScmHttp(endpoint, token, full);
  const repositories = `${bitbucketApiBase(endpoint)}/repositories`;
  const base = `${repositories}/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.name)}`;
  const info = async (url: string, name: string) => {
    const r = await http.json(url, repoSchema, `repository ${name}`);
    if (!r) throw http.notFound(`repository ${name}`);
    const https = r.links.clone.find((c) => c.name === 'https')?.href;
    // Bitbucket puts the user's name into its https clone URL (https://ada@bitbucket.org/…): drop it
    const cloneUrl = https
      ? https.replace(/^(https?:\/\/)[^@/]+@/, '$1')
      : `${endpoint.webOrigin}/${r.full_name}.git`;
    return { ...r, cloneUrl };
  };
  const refType = async (name: string): Promise<'branch' | 'tag' | undefined> => {
    for (const [kind, type] of [
      ['branches', 'branch'],
      ['tags', 'tag'],
    ] as const) {
      if (await http.json(`${base}/refs/${kind}/${encodePath(name)}`, refSchema, `${type} ${name}`))
        return type;
    }
    return undefined;
  };
  return {
    endpoint,
    async repository() {
      const r = await info(base, full);
      if (!r.mainbranch) {
        throw new AppError(
          'invalid_argument',
          `${full} on ${endpoint.id} has no commits yet: push one first`,
        );
      }
      return { defaultBranch: r.mainbranch.name, cloneUrl: r.cloneUrl, private: r.is_private };
    },
    async pullRequest(number) {
      const pr = await http.json(`${base}/pullrequests/${number}`, pullSchema, `pull request #${number}`);
      if (!pr) throw http.notFound(`pull request #${number}`);
      if (!pr.source.repository || !pr.destination.repository) {
        throw http.notFound(`the fork of pull request #${number}`);
      }
      const target = await info(base, full);
      const source =
        pr.source.repository.full_name === target.full_name
          ? target
          : await info(
              `${repositories}/${encodePath(pr.source.repository.full_name)}`,
              pr.source.repository.full_name,
            );
      return {
        title: pr.title,
        head: {
          cloneUrl: source.cloneUrl,
          branch: pr.source.branch.name,
          sha: pr.source.commit?.hash ?? '',
          ...optionalRepository(source.full_name),
        },
        base: { cloneUrl: target.cloneUrl, branch: pr.destination.branch.name },
      };
    },
    async issue(number) {
      const issue = await http.json(`${base}/issues/${number}`, issueSchema, `issue #${number}`);
      if (!issue) throw http.notFound(`issue #${number} (or the repository has no issue tracker)`);
      return { title: issue.title, isPullRequest: false };
    },
    async commit(rev) {
      // /commit/{revision} takes a commit id; a branch or tag is resolved through its ref
      const type = /^[0-9a-f]{7,40}$/i.test(rev) ? undefined : await refType(rev);
      if (type) {
        const kind = type === 'branch' ? 'branches' : 'tags';
        return (await http.json(`${base}/refs/${kind}/${encodePath(rev)}`, refSchema, `${type} ${rev}`))
          ?.target.hash;
      }
      return (await http.json(`${base}/commit/${encodeURIComponent(rev)}`, commitSchema, `commit ${rev}`))
        ?.hash;
    },
    refType,
    async readFile(rev, path) {
      return (await http.raw(`${base}/src/${encodeURIComponent(rev)}/${encodePath(path)}`, path))?.toString(
        'utf8',
      );
    },
    async listDir(rev, path) {
      const listing = await http.json(
        `${base}/src/${encodeURIComponent(rev)}/${encodePath(path)}/?pagelen=100`,
        listingSchema,
        path,
      );
      if (!listing) return undefined;
      return listing.values.map((e) => ({
        name: e.path.split('/').pop() ?? e.path,
        type: e.type === 'commit_directory' ? 'dir' : 'file',
      }));
    },
  };
}
