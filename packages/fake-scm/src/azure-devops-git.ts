// fake-azure-devops's Git REST API 7.1 for one repository: the repository, pull requests, commits,
// refs and items (files raw or as JSON, folders one level or all the way down), from the bare repo.
import { createHash } from 'node:crypto';
import type { CommitInfo, TreeEntry } from './repos.js';
import {
  type ApiRequest,
  dispatch,
  type FakeCore,
  type Reply,
  type RepoRecord,
  type Route,
} from './server.js';

/** A stable GUID for a number (users, repositories) or a name (projects), as Azure DevOps ids look. */
export function guid(of: number | string): string {
  const hex =
    typeof of === 'number'
      ? String(of).padStart(32, '0')
      : createHash('sha256').update(of.toLowerCase()).digest('hex').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Azure DevOps' error body (a serialized .NET exception). */
export function vssError(status: number, typeKey: string, message: string): Reply {
  return {
    status,
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: `Microsoft.TeamFoundation.Git.Server.${typeKey}, Microsoft.TeamFoundation.Git.Server`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  };
}

/** A repository of org/project by name or id, case-insensitive as Azure DevOps is. */
export function repoByName(
  core: FakeCore,
  org: string,
  project: string,
  nameOrId: string,
): RepoRecord | undefined {
  return (
    core.repo(`${org}/${project}/${nameOrId}`) ??
    core.repos.find(
      (r) =>
        guid(r.id) === nameOrId.toLowerCase() &&
        r.spec.owner.split('/')[0]?.toLowerCase() === org.toLowerCase(),
    )
  );
}

interface Ctx {
  core: FakeCore;
  req: ApiRequest;
  repo: RepoRecord;
}

const FIXED_DATE = '2024-01-01T12:00:00Z';
const ok = (body: unknown): Reply => ({ status: 200, body });
const enc = encodeURIComponent;

function names(repo: RepoRecord) {
  const [org = '', project = ''] = repo.spec.owner.split('/');
  return { org, project, name: repo.spec.name };
}

function urls(ctx: Ctx) {
  const { org, project, name } = names(ctx.repo);
  const { url } = ctx.core;
  const web = `${url}/${enc(org)}/${enc(project)}/_git/${enc(name)}`;
  return {
    api: `${url}/${enc(org)}/${guid(ctx.repo.spec.owner)}/_apis/git/repositories/${guid(ctx.repo.id)}`,
    web,
    // as Azure DevOps gives it: the organization as the user name
    remote: web.replace('://', `://${enc(org)}@`),
    ssh: `git@ssh.${new URL(url).host}:v3/${enc(org)}/${enc(project)}/${enc(name)}`,
  };
}

function repoJson(ctx: Ctx) {
  const { org, project, name } = names(ctx.repo);
  const u = urls(ctx);
  return {
    id: guid(ctx.repo.id),
    name,
    url: u.api,
    project: {
      id: guid(ctx.repo.spec.owner),
      name: project,
      url: `${ctx.core.url}/${enc(org)}/_apis/projects/${guid(ctx.repo.spec.owner)}`,
      state: 'wellFormed',
      revision: 11,
      visibility: ctx.repo.spec.private ? 'private' : 'public',
      lastUpdateTime: FIXED_DATE,
    },
    defaultBranch: `refs/heads/${ctx.repo.defaultBranch}`,
    remoteUrl: u.remote,
    sshUrl: u.ssh,
    webUrl: u.web,
    isDisabled: false,
    isInMaintenance: false,
  };
}

function identityRef(core: FakeCore, login: string) {
  const user = core.user(login);
  const id = guid(user?.id ?? 0);
  return {
    displayName: user?.name ?? login,
    url: `${core.url}/_apis/Identities/${id}`,
    id,
    uniqueName: user?.email ?? login,
    imageUrl: `${core.url}/_apis/GraphProfile/MemberAvatars/aad.${id}`,
  };
}

function commitJson(ctx: Ctx, c: CommitInfo) {
  const u = urls(ctx);
  return {
    commitId: c.sha,
    treeId: c.tree,
    parents: c.parents,
    author: { name: c.authorName, email: c.authorEmail, date: c.authorDate },
    committer: { name: c.committerName, email: c.committerEmail, date: c.committerDate },
    comment: c.message,
    url: `${u.api}/commits/${c.sha}`,
    remoteUrl: `${u.web}/commit/${c.sha}`,
  };
}

const commitRef = (ctx: Ctx, sha: string) => ({ commitId: sha, url: `${urls(ctx).api}/commits/${sha}` });

async function pullRequest(ctx: Ctx, [id]: string[]): Promise<Reply> {
  const pr = ctx.repo.spec.pulls?.find((p) => String(p.number) === id);
  if (!pr)
    return vssError(
      404,
      'GitPullRequestNotFoundException',
      'TF401180: The requested pull request was not found.',
    );
  const [head, base] = [await ctx.repo.git.branch(pr.head), await ctx.repo.git.branch(pr.base)];
  return ok({
    repository: repoJson(ctx),
    pullRequestId: pr.number,
    codeReviewId: pr.number,
    status: 'active',
    createdBy: identityRef(ctx.core, pr.author),
    creationDate: FIXED_DATE,
    title: pr.title,
    description: '',
    sourceRefName: `refs/heads/${pr.head}`,
    targetRefName: `refs/heads/${pr.base}`,
    mergeStatus: 'succeeded',
    isDraft: false,
    mergeId: guid(ctx.repo.id * 1000 + pr.number),
    ...(head && { lastMergeSourceCommit: commitRef(ctx, head) }),
    ...(base && { lastMergeTargetCommit: commitRef(ctx, base) }),
    reviewers: [],
    url: `${urls(ctx).api}/pullRequests/${pr.number}`,
    supportsIterations: true,
  });
}

const unresolvable = (ctx: Ctx, what: string) =>
  vssError(
    404,
    'GitUnresolvableToCommitException',
    `TF401175: The version descriptor <${what}> could not be resolved to a version in the repository ${ctx.repo.spec.name}`,
  );

/** `/commits/{commitId}`: a full 40-digit id only, as Azure DevOps takes it. */
async function commit(ctx: Ctx, [id = '']: string[]): Promise<Reply> {
  const c = /^[0-9a-f]{40}$/i.test(id) ? await ctx.repo.git.commit(id) : undefined;
  return c ? ok(commitJson(ctx, c)) : unresolvable(ctx, `Commit: ${id}`);
}

/** `/refs?filter=heads/x`: the refs whose name after `refs/` starts with the filter (peelTags: tags' commits). */
async function refs(ctx: Ctx): Promise<Reply> {
  const filter = ctx.req.query.get('filter') ?? '';
  const peel = ctx.req.query.get('peelTags') === 'true';
  const all = [...(await ctx.repo.git.refs('heads')), ...(await ctx.repo.git.refs('tags'))];
  const value = [];
  for (const r of all.filter((r) => r.ref.startsWith(`refs/${filter}`))) {
    const peeled = peel ? await ctx.repo.git.resolve(r.ref) : undefined;
    value.push({
      name: r.ref,
      objectId: r.sha,
      ...(peeled && peeled !== r.sha && { peeledObjectId: peeled }),
      creator: identityRef(ctx.core, ctx.repo.spec.owner),
      url: `${urls(ctx).api}/refs?filter=${enc(r.ref.slice('refs/'.length))}`,
    });
  }
  return ok({ value, count: value.length });
}

/** The commit `versionDescriptor.*` names (default: the default branch), or the 404 Azure gives. */
async function version(ctx: Ctx): Promise<{ sha: string; label: string } | Reply> {
  const q = ctx.req.query;
  const name = q.get('versionDescriptor.version') || ctx.repo.defaultBranch;
  const type = (q.get('versionDescriptor.versionType') ?? 'branch').toLowerCase();
  const { git } = ctx.repo;
  let sha: string | undefined;
  if (type === 'branch') sha = await git.branch(name);
  else if (type === 'tag') sha = await git.tag(name);
  else if (type === 'commit') sha = /^[0-9a-f]{40}$/i.test(name) ? await git.resolve(name) : undefined;
  else {
    return vssError(
      400,
      'ArgumentException',
      `versionDescriptor.versionType ${type} is none of branch, tag, commit`,
    );
  }
  const label = `${type[0]?.toUpperCase()}${type.slice(1)}: ${name}`;
  return sha ? { sha, label } : unresolvable(ctx, label);
}

function itemJson(ctx: Ctx, sha: string, path: string, e: { type: TreeEntry['type']; sha: string }) {
  return {
    objectId: e.sha,
    gitObjectType: e.type,
    commitId: sha,
    path: `/${path}`,
    ...(e.type === 'tree' && { isFolder: true }),
    url: `${urls(ctx).api}/items?path=${enc(`/${path}`)}&versionType=Commit&version=${sha}`,
  };
}

/** The folder's entries below it: one level, or all the way down. */
async function listing(ctx: Ctx, sha: string, path: string, full: boolean) {
  const out: ReturnType<typeof itemJson>[] = [];
  for (const e of await ctx.repo.git.listTree(sha, path)) {
    const child = path ? `${path}/${e.name}` : e.name;
    out.push(itemJson(ctx, sha, child, e));
    if (full && e.type === 'tree') out.push(...(await listing(ctx, sha, child, true)));
  }
  return out;
}

/**
 * `/items?path=` (or `scopePath=`): a file's bytes ($format=octetStream, or an Accept without JSON),
 * its JSON (includeContent=true: with the text); a folder with recursionLevel=OneLevel|Full: itself
 * and its entries.
 */
async function items(ctx: Ctx): Promise<Reply> {
  const q = ctx.req.query;
  const at = await version(ctx);
  if (!('sha' in at)) return at;
  const asked = q.get('path') ?? q.get('scopePath') ?? '/';
  const path = asked.replace(/^\/+|\/+$/g, '');
  const type = path ? await ctx.repo.git.entryType(at.sha, path) : 'tree';
  const objectId = await ctx.repo.git.objectSha(at.sha, path);
  if (!type || !objectId) {
    return vssError(
      404,
      'GitItemNotFoundException',
      `TF401174: The item '${asked}' could not be found in the repository '${ctx.repo.spec.name}' at the version specified by '<${at.label}>' (resolved to commit '${at.sha}').`,
    );
  }
  const self = itemJson(ctx, at.sha, path, { type, sha: objectId });
  const recursion = (q.get('recursionLevel') ?? 'none').toLowerCase();
  if (recursion === 'onelevel' || recursion === 'full') {
    const below = type === 'tree' ? await listing(ctx, at.sha, path, recursion === 'full') : [];
    const value = [self, ...below];
    return ok({ count: value.length, value });
  }
  const format = (q.get('$format') ?? '').toLowerCase();
  const wantsJson =
    format === 'json' || (!format && /application\/json/i.test(String(ctx.req.headers.accept ?? '')));
  if (type === 'blob' && !wantsJson) {
    const data = (await ctx.repo.git.readFile(at.sha, path)) ?? Buffer.alloc(0);
    return { status: 200, body: data, headers: { 'content-type': 'application/octet-stream' } };
  }
  const content =
    type === 'blob' && q.get('includeContent') === 'true'
      ? { content: ((await ctx.repo.git.readFile(at.sha, path)) ?? Buffer.alloc(0)).toString('utf8') }
      : {};
  return ok({ ...self, ...content });
}

const routes: Route<Ctx>[] = [
  ['GET', /^$/, async (ctx) => ok(repoJson(ctx))],
  ['GET', /^\/pullrequests\/(\d+)$/i, pullRequest],
  ['GET', /^\/commits\/([^/]+)$/i, commit],
  ['GET', /^\/refs$/i, refs],
  ['GET', /^\/items$/i, items],
];

/** The Git API below `/_apis/git/repositories/{repository}`, for a caller who may read it. */
export async function gitRoutes(
  core: FakeCore,
  req: ApiRequest,
  repo: RepoRecord,
  rest: string,
): Promise<Reply> {
  const reply = await dispatch(routes, { core, req, repo }, req.method, rest);
  return (
    reply ??
    vssError(
      404,
      'NotFoundException',
      `fake-azure-devops serves no ${req.method} at …/repositories/{repository}${rest}`,
    )
  );
}
