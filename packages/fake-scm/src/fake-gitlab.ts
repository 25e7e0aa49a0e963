// fake-gitlab: GitLab's documented OAuth (Doorkeeper) flow, REST /api/v4 and git smart HTTP, nested groups included.
import type { IncomingMessage } from 'node:http';
import { type OAuthFailure, redeemTokenRequest } from './oauth.js';
import type { CommitInfo, FakeScm, FakeScmSpec } from './repos.js';
import {
  type ApiRequest,
  dispatch,
  type FakeCore,
  hasAny,
  type Provider,
  type Reply,
  type RepoRecord,
  type Route,
  startFake,
  type TokenRequest,
} from './server.js';

const INVALID_GRANT =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';

const gitlabErrors: Record<OAuthFailure, [number, string, string]> = {
  invalid_client: [
    401,
    'invalid_client',
    'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  ],
  redirect_uri_mismatch: [400, 'invalid_grant', INVALID_GRANT],
  invalid_code: [400, 'invalid_grant', INVALID_GRANT],
  invalid_verifier: [400, 'invalid_grant', INVALID_GRANT],
  invalid_refresh_token: [400, 'invalid_grant', INVALID_GRANT],
  unsupported_grant_type: [
    400,
    'unsupported_grant_type',
    'The authorization grant type is not supported by the authorization server.',
  ],
};

/** `POST /oauth/token`: client credentials in the form (or HTTP Basic), RFC 6749 JSON answers. */
function token(core: FakeCore, req: TokenRequest, _headers: IncomingMessage['headers']): Reply {
  const clientId = req.client_id ?? req.basicUser ?? '';
  const clientSecret = req.client_secret ?? req.basicPassword ?? '';
  const { grantType, result } = redeemTokenRequest(core.store, req, { clientId, clientSecret });
  if (!result.ok) {
    const [status, error, description] = gitlabErrors[result.failure];
    core.log.push({ kind: 'token', clientId, grantType, error });
    return { status, body: { error, error_description: description } };
  }
  const g = result.grant;
  core.log.push({ kind: 'token', clientId, grantType, login: g.login });
  return {
    status: 200,
    body: {
      access_token: g.accessToken,
      token_type: 'Bearer',
      ...(g.expiresIn !== undefined && { expires_in: g.expiresIn }),
      refresh_token: g.refreshToken,
      scope: g.scopes.join(' '),
      created_at: Math.floor(Date.now() / 1000),
    },
  };
}

const apiError = (status: 401 | 404, message?: string): Reply => ({
  status,
  body: { message: status === 401 ? '401 Unauthorized' : `404 ${message ?? 'Not found'}` },
});
const notFound = (what: string) => apiError(404, `${what} Not Found`);
const ok = (body: unknown): Reply => ({ status: 200, body });

interface Ctx {
  core: FakeCore;
  req: ApiRequest;
}
interface RepoCtx extends Ctx {
  repo: RepoRecord;
}

function userJson(core: FakeCore, login: string) {
  const user = core.user(login);
  return {
    id: user?.id ?? 0,
    username: login,
    name: user?.name ?? login,
    state: 'active',
    avatar_url: `${core.url}/uploads/-/system/user/avatar/${user?.id ?? 0}/avatar.png`,
    web_url: `${core.url}/${login}`,
  };
}

function projectJson(core: FakeCore, repo: RepoRecord) {
  const { owner, name } = repo.spec;
  const isUser = !!core.user(owner);
  return {
    id: repo.id,
    description: null,
    name,
    name_with_namespace: `${owner.split('/').join(' / ')} / ${name}`,
    path: name,
    path_with_namespace: repo.fullName,
    default_branch: repo.defaultBranch,
    visibility: repo.spec.private ? 'private' : 'public',
    http_url_to_repo: `${core.url}/${repo.fullName}.git`,
    web_url: `${core.url}/${repo.fullName}`,
    archived: false,
    namespace: {
      name: owner.split('/').pop(),
      path: owner.split('/').pop(),
      kind: isUser ? 'user' : 'group',
      full_path: owner,
    },
  };
}

function commitJson(ctx: RepoCtx, c: CommitInfo) {
  return {
    id: c.sha,
    short_id: c.sha.slice(0, 8),
    title: c.message.split('\n')[0] ?? '',
    message: c.message,
    author_name: c.authorName,
    author_email: c.authorEmail,
    authored_date: c.authorDate,
    committer_name: c.committerName,
    committer_email: c.committerEmail,
    committed_date: c.committerDate,
    created_at: c.committerDate,
    parent_ids: c.parents,
    web_url: `${ctx.core.url}/${ctx.repo.fullName}/-/commit/${c.sha}`,
  };
}

async function mergeRequest(ctx: RepoCtx, [iid]: string[]): Promise<Reply> {
  const mr = ctx.repo.spec.pulls?.find((p) => String(p.number) === iid);
  if (!mr) return notFound('Merge Request');
  const source = (mr.headRepo ? ctx.core.repo(mr.headRepo) : undefined) ?? ctx.repo;
  const [head, base] = [await source.git.branch(mr.head), await ctx.repo.git.branch(mr.base)];
  return ok({
    id: ctx.repo.id * 1000 + mr.number,
    iid: mr.number,
    project_id: ctx.repo.id,
    title: mr.title,
    state: 'opened',
    source_branch: mr.head,
    target_branch: mr.base,
    source_project_id: source.id,
    target_project_id: ctx.repo.id,
    sha: head,
    author: userJson(ctx.core, mr.author),
    web_url: `${ctx.core.url}/${ctx.repo.fullName}/-/merge_requests/${mr.number}`,
    diff_refs: { base_sha: base, head_sha: head, start_sha: base },
  });
}

async function issue(ctx: RepoCtx, [iid]: string[]): Promise<Reply> {
  const found = ctx.repo.spec.issues?.find((i) => String(i.number) === iid);
  if (!found) return notFound('Issue');
  return ok({
    id: ctx.repo.id * 1000 + found.number,
    iid: found.number,
    project_id: ctx.repo.id,
    title: found.title,
    state: 'opened',
    author: userJson(ctx.core, found.author),
    web_url: `${ctx.core.url}/${ctx.repo.fullName}/-/issues/${found.number}`,
  });
}

async function commit(ctx: RepoCtx, [ref = '']: string[]): Promise<Reply> {
  const c = await ctx.repo.git.commit(ref);
  return c ? ok(commitJson(ctx, c)) : notFound('Commit');
}

async function branch(ctx: RepoCtx, [name = '']: string[]): Promise<Reply> {
  const sha = await ctx.repo.git.branch(name);
  const c = sha ? await ctx.repo.git.commit(sha) : undefined;
  if (!c) return notFound('Branch');
  const canPush = !!ctx.req.caller && ctx.core.canWrite(ctx.repo, ctx.req.caller);
  return ok({
    name,
    commit: commitJson(ctx, c),
    merged: false,
    protected: false,
    default: name === ctx.repo.defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: canPush,
    web_url: `${ctx.core.url}/${ctx.repo.fullName}/-/tree/${name}`,
  });
}

async function tag(ctx: RepoCtx, [name = '']: string[]): Promise<Reply> {
  const sha = await ctx.repo.git.tag(name);
  const c = sha ? await ctx.repo.git.commit(sha) : undefined;
  if (!c) return notFound('Tag');
  return ok({
    name,
    message: '',
    target: c.sha,
    commit: commitJson(ctx, c),
    release: null,
    protected: false,
  });
}

/** The file at `ref` (default branch when absent), or a 404 reply. */
async function readFile(
  ctx: RepoCtx,
  path: string,
): Promise<{ data: Buffer; sha: string; ref: string } | Reply> {
  const ref = ctx.req.query.get('ref') ?? ctx.repo.defaultBranch;
  const sha = await ctx.repo.git.resolve(ref);
  const data = sha ? await ctx.repo.git.readFile(sha, path) : undefined;
  return sha && data ? { data, sha, ref } : notFound('File');
}

async function rawFile(ctx: RepoCtx, [path = '']: string[]): Promise<Reply> {
  const file = await readFile(ctx, path);
  if (!('data' in file)) return file;
  return { status: 200, body: file.data, headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

async function fileJson(ctx: RepoCtx, [path = '']: string[]): Promise<Reply> {
  const file = await readFile(ctx, path);
  if (!('data' in file)) return file;
  return ok({
    file_name: path.split('/').pop(),
    file_path: path,
    size: file.data.length,
    encoding: 'base64',
    content: file.data.toString('base64'),
    ref: file.ref,
    blob_id: await ctx.repo.git.objectSha(file.sha, path),
    commit_id: file.sha,
    last_commit_id: file.sha,
  });
}

/** `GET /projects/:id/repository/tree?path=&ref=`: one folder's entries (not recursive), as GitLab lists them. */
async function tree(ctx: RepoCtx): Promise<Reply> {
  const path = (ctx.req.query.get('path') ?? '').replace(/^\/+|\/+$/g, '');
  const ref = ctx.req.query.get('ref') ?? ctx.repo.defaultBranch;
  const sha = await ctx.repo.git.resolve(ref);
  const type = sha && path ? await ctx.repo.git.entryType(sha, path) : sha ? 'tree' : undefined;
  if (!sha || type !== 'tree') return notFound('Tree');
  const entries = await ctx.repo.git.listTree(sha, path);
  return ok(
    entries.map((e) => ({
      id: e.sha,
      name: e.name,
      type: e.type === 'tree' ? 'tree' : 'blob',
      path: path ? `${path}/${e.name}` : e.name,
      mode: e.type === 'tree' ? '040000' : '100644',
    })),
  );
}

const projectRoutes: Route<RepoCtx>[] = [
  ['GET', /^$/, async (ctx) => ok(projectJson(ctx.core, ctx.repo))],
  ['GET', /^\/merge_requests\/(\d+)$/, mergeRequest],
  ['GET', /^\/issues\/(\d+)$/, issue],
  ['GET', /^\/repository\/commits\/([^/]+)$/, commit],
  ['GET', /^\/repository\/branches\/([^/]+)$/, branch],
  ['GET', /^\/repository\/tags\/([^/]+)$/, tag],
  ['GET', /^\/repository\/tree$/, tree],
  ['GET', /^\/repository\/files\/([^/]+)\/raw$/, rawFile],
  ['GET', /^\/repository\/files\/([^/]+)$/, fileJson],
];

async function currentUser({ core, req }: Ctx): Promise<Reply> {
  const user = core.user(req.caller?.login ?? '');
  if (!user || !req.caller) return apiError(401);
  if (!hasAny(req.caller.scopes, ['read_user', 'api', 'read_api'])) {
    return {
      status: 403,
      body: {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
        scope: 'api read_api read_user',
      },
    };
  }
  return ok({ ...userJson(core, user.login), email: user.email, public_email: user.email });
}

async function api(core: FakeCore, req: ApiRequest): Promise<Reply> {
  const ctx: Ctx = { core, req };
  if (req.method === 'GET' && req.path === '/user') return currentUser(ctx);
  const m = /^\/projects\/([^/]+)(\/.*)?$/.exec(req.path);
  if (!m) return apiError(404);
  const id = decodeURIComponent(m[1] ?? '');
  const repo = /^\d+$/.test(id) ? core.repoById(Number(id)) : core.repo(id);
  if (!repo || !core.canRead(repo, req.caller)) return notFound('Project');
  return (await dispatch(projectRoutes, { ...ctx, repo }, req.method, m[2] ?? '')) ?? apiError(404);
}

export const gitlabProvider: Provider = {
  name: 'fake-gitlab',
  authorizePath: '/oauth/authorize',
  tokenPath: '/oauth/token',
  apiPrefix: '/api/v4',
  tokenPrefix: 'glpat-',
  defaultScopes: ['read_user'],
  alwaysRefreshToken: true,
  readScopes: ['api', 'read_api', 'read_repository', 'write_repository'],
  writeScopes: ['api', 'write_repository'],
  token,
  api,
  apiError,
};

/** Starts fake-gitlab on 127.0.0.1; OAuth at /oauth/*, REST at /api/v4, git at /{group/sub}/{project}.git. */
export function startFakeGitLab(spec: FakeScmSpec, opts: { dir?: string } = {}): Promise<FakeScm> {
  return startFake(spec, gitlabProvider, opts.dir);
}
