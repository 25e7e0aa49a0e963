// Bitbucket Server / Data Center's REST API (1.0) for one repository: a project's
// (/projects/<KEY>/repos/<slug>) or a user's personal one (/users/<user>/repos/<slug>, owner ~user).
// Bitbucket answers 401 for a repository the caller may not see, so 401 counts as "absent" here.
import { AppError, type ContextRepository } from '@atelier/protocol';
import { z } from 'zod';
import { encodePath, type ScmEndpoint, ScmHttp, type ScmRepositoryApi } from './scm-api.js';

const repoSchema = z.object({
  slug: z.string(),
  public: z.boolean().optional(),
  project: z.object({ key: z.string() }),
  links: z.object({ clone: z.array(z.object({ name: z.string(), href: z.string() })).optional() }).optional(),
});
type Repo = z.infer<typeof repoSchema>;
const refSchema = z.object({
  id: z.string(),
  displayId: z.string(),
  latestCommit: z.string().nullable().optional(),
});
const refPageSchema = z.object({
  values: z.array(refSchema),
  isLastPage: z.boolean().optional(),
  nextPageStart: z.number().nullable().optional(),
});
const pullSchema = z.object({
  title: z.string(),
  fromRef: refSchema.extend({ repository: repoSchema }),
  toRef: refSchema.extend({ repository: repoSchema }),
});
const commitSchema = z.object({ id: z.string() });
const browseSchema = z.object({
  // absent when the path is a file (its lines come instead)
  children: z
    .object({ values: z.array(z.object({ path: z.object({ name: z.string() }), type: z.string() })) })
    .optional(),
});

const COMMIT_ID = /^[0-9a-f]{4,40}$/i;
/** Pages of refs searched for a name (filterText matches part of a name; the exact one comes first). */
const MAX_REF_PAGES = 5;

export function bitbucketServerApiBase(endpoint: Pick<ScmEndpoint, 'webOrigin'>): string {
  return `${endpoint.webOrigin}/rest/api/1.0`;
}

/** `/projects/<KEY>/repos/<slug>` or, for a personal repository (`~user`), `/users/<user>/repos/<slug>`. */
function bitbucketServerRepoPath(owner: string, slug: string): string {
  return owner.startsWith('~')
    ? `/users/${encodeURIComponent(owner.slice(1))}/repos/${encodeURIComponent(slug)}`
    : `/projects/${encodeURIComponent(owner)}/repos/${encodeURIComponent(slug)}`;
}

export function bitbucketServerRepositoryApi(
  endpoint: ScmEndpoint,
  repository: ContextRepository,
  token: string | undefined,
): ScmRepositoryApi {
  const full = `${repository.owner}/${repository.name}`;
  const http = new ScmHttp(endpoint, token, full);
  const rest = bitbucketServerApiBase(endpoint);
  const base = `${rest}${bitbucketServerRepoPath(repository.owner, repository.name)}`;
  const json = <T>(url: string, schema: z.ZodType<T>, what: string) => http.json(url, schema, what, [401]);

  /** The https clone link, without the user name Bitbucket puts in it (https://ada@host/scm/…). */
  const cloneUrlOf = (r: Repo) => {
    const link = r.links?.clone?.find((c) => c.name === 'http')?.href;
    return link
      ? link.replace(/^(https?:\/\/)[^@/]+@/, '$1')
      : `${endpoint.webOrigin}/scm/${r.project.key.toLowerCase()}/${r.slug}.git`;
  };
  const info = async () => {
    const r = await json(base, repoSchema, `repository ${full}`);
    if (!r) throw http.notFound(`repository ${full}`);
    return r;
  };
  /** The branch or tag named exactly `name`, through the list filtered by it. */
  const findRef = async (kind: 'branches' | 'tags', name: string) => {
    const type = kind === 'branches' ? 'branch' : 'tag';
    const id = `refs/${kind === 'branches' ? 'heads' : 'tags'}/${name}`;
    let start = 0;
    for (let page = 0; page < MAX_REF_PAGES; page++) {
      const query = new URLSearchParams({
        filterText: name,
        boostMatches: 'true',
        limit: '100',
        start: String(start),
      });
      const list = await json(`${base}/${kind}?${query}`, refPageSchema, `${type} ${name}`);
      const found = list?.values.find((r) => r.id === id);
      if (found || !list || list.isLastPage !== false || !list.nextPageStart) return found;
      start = list.nextPageStart;
    }
    return undefined;
  };
  const refType = async (name: string): Promise<'branch' | 'tag' | undefined> => {
    if (await findRef('branches', name)) return 'branch';
    if (await findRef('tags', name)) return 'tag';
    return undefined;
  };

  return {
    endpoint,
    async repository() {
      const r = await info();
      // /default-branch since Bitbucket 7.5, /branches/default before; neither for an empty repository
      const branch =
        (await json(`${base}/default-branch`, refSchema, `the default branch of ${full}`)) ??
        (await json(`${base}/branches/default`, refSchema, `the default branch of ${full}`));
      if (!branch) {
        throw new AppError(
          'invalid_argument',
          `${full} on ${endpoint.id} has no default branch — it has no commits yet: push one first`,
        );
      }
      return { defaultBranch: branch.displayId, cloneUrl: cloneUrlOf(r), private: r.public !== true };
    },
    async pullRequest(number) {
      const pr = await json(`${base}/pull-requests/${number}`, pullSchema, `pull request #${number}`);
      if (!pr) throw http.notFound(`pull request #${number}`);
      const branchOf = (ref: z.infer<typeof refSchema>) => ref.id.replace(/^refs\/heads\//, '');
      return {
        title: pr.title,
        head: {
          cloneUrl: cloneUrlOf(pr.fromRef.repository),
          branch: branchOf(pr.fromRef),
          sha: pr.fromRef.latestCommit ?? '',
        },
        base: { cloneUrl: cloneUrlOf(pr.toRef.repository), branch: branchOf(pr.toRef) },
      };
    },
    async issue() {
      throw new AppError(
        'not_found',
        `Bitbucket Server has no issues (its teams track them elsewhere, in Jira say): open ${full} on ${endpoint.id}, one of its branches, a pull request or a commit instead`,
      );
    },
    async commit(rev) {
      // /commits/{commitId} takes a commit id, full or abbreviated, but no ref name
      if (COMMIT_ID.test(rev)) {
        const c = await json(`${base}/commits/${encodeURIComponent(rev)}`, commitSchema, `commit ${rev}`);
        if (c) return c.id;
      }
      const ref = (await findRef('branches', rev)) ?? (await findRef('tags', rev));
      return ref?.latestCommit ?? undefined;
    },
    refType,
    async readFile(rev, path) {
      const url = `${base}/raw/${encodePath(path)}?at=${encodeURIComponent(rev)}`;
      return (await http.raw(url, path))?.toString('utf8');
    },
    async listDir(rev, path) {
      const url = `${base}/browse/${encodePath(path)}?at=${encodeURIComponent(rev)}&limit=1000`;
      const listing = await json(url, browseSchema, path);
      return listing?.children?.values.map((e) => ({
        name: e.path.name,
        type: e.type === 'DIRECTORY' ? 'dir' : 'file',
      }));
    },
  };
}
