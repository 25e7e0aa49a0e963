// fake-bitbucket-server: Bitbucket Data Center's documented OAuth 2.0 provider (an incoming application
// link), its REST API 1.0 (projects, personal repositories of ~users, pull requests, commits, refs,
// browse and raw files), the applinks whoami servlet and git smart HTTP at /scm/<key>/<slug>.git.
import type { IncomingMessage } from 'node:http';
import {
  bbsError,
  branchJson,
  commitJson,
  paged,
  pathJson,
  repoJson,
  slugOf,
  userJson,
} from './bitbucket-server-json.js';
import { type OAuthFailure, redeemTokenRequest } from './oauth.js';
import type { FakeScm, FakeScmSpec } from './repos.js';
import {
  type ApiRequest,
  dispatch,
  type FakeCore,
  type Provider,
  type Reply,
  type RepoRecord,
  type Route,
  startFake,
  type TokenRequest,
} from './server.js';

const WHOAMI = '/plugins/servlet/applinks/whoami';
/** Commit times of the fake's repositories (repos.ts makes every commit at this moment). */
const CREATED = Date.parse('2024-01-01T12:00:00Z');

const tokenErrors: Record<OAuthFailure, [number, string, string]> = {
  invalid_client: [401, 'invalid_client', 'Client authentication failed'],
  redirect_uri_mismatch: [400, 'invalid_grant', 'The redirect URI does not match the authorization request'],
  invalid_code: [400, 'invalid_grant', 'The authorization code is invalid or has expired'],
  invalid_verifier: [400, 'invalid_grant', 'The code verifier does not match the code challenge'],
  invalid_refresh_token: [400, 'invalid_grant', 'The refresh token is invalid or has expired'],
  unsupported_grant_type: [400, 'unsupported_grant_type', 'The grant type is not supported'],
};

/**
 * `POST /rest/oauth2/latest/token`: the client's id and secret as parameters (query or form, as
 * Atlassian's examples send them; HTTP Basic also taken), RFC 6749 answers with `scope`.
 */
function token(core: FakeCore, req: TokenRequest, _headers: IncomingMessage['headers']): Reply {
  const clientId = req.client_id ?? req.basicUser ?? '';
  const clientSecret = req.client_secret ?? req.basicPassword ?? '';
  const { grantType, result } = redeemTokenRequest(core.store, req, { clientId, clientSecret });
  if (!result.ok) {
    const [status, error, description] = tokenErrors[result.failure];
    core.log.push({ kind: 'token', clientId, grantType, error });
    return { status, body: { error, error_description: description } };
  }
  const g = result.grant;
  core.log.push({ kind: 'token', clientId, grantType, login: g.login });
  return {
    status: 200,
    body: {
      access_token: g.accessToken,
      token_type: 'bearer',
      ...(g.expiresIn !== undefined && { expires_in: g.expiresIn }),
      refresh_token: g.refreshToken,
      scope: g.scopes.join(' '),
    },
  };
}

const apiError = (status: 401 | 404, message?: string): Reply =>
  status === 401
    ? bbsError(
        401,
        'auth.IncorrectPasswordAuthenticationException',
        message ?? 'Authentication failed. Please check your credentials and try again.',
      )
    : bbsError(404, 'NoSuchEntityException', message ?? 'The requested resource does not exist.');
/** What Bitbucket answers for a resource the caller may not see (401, as its REST documentation says). */
const notPermitted = () =>
  bbsError(401, 'AuthorisationException', 'You are not permitted to access this resource');
const ok = (body: unknown): Reply => ({ status: 200, body });

interface Ctx {
  core: FakeCore;
  req: ApiRequest;
}
interface RepoCtx extends Ctx {
  repo: RepoRecord;
}

/** `/branches` and `/tags`: `filterText` matches part of the name; `boostMatches` puts the exact one first. */
async function refList(ctx: RepoCtx, kind: 'heads' | 'tags'): Promise<Reply> {
  const filter = (ctx.req.query.get('filterText') ?? '').toLowerCase();
  const values = [];
  for (const { ref, sha } of await ctx.repo.git.refs(kind)) {
    const name = ref.slice(`refs/${kind}/`.length);
    if (!name.toLowerCase().includes(filter)) continue;
    const commit = (await ctx.repo.git.resolve(ref)) ?? sha;
    values.push(
      kind === 'heads'
        ? branchJson(ctx.repo, name, commit)
        : {
            id: ref,
            displayId: name,
            type: 'TAG',
            latestCommit: commit,
            latestChangeset: commit,
            // the tag object of an annotated tag; a lightweight one has none
            hash: sha === commit ? null : sha,
          },
    );
  }
  const exact = (v: { displayId: string }) =>
    ctx.req.query.get('boostMatches') === 'true' && v.displayId.toLowerCase() === filter ? 0 : 1;
  values.sort((a, b) => exact(a) - exact(b) || a.displayId.localeCompare(b.displayId));
  return ok(paged(ctx.req, values));
}

async function defaultBranch(ctx: RepoCtx): Promise<Reply> {
  const sha = await ctx.repo.git.branch(ctx.repo.defaultBranch);
  if (!sha)
    return bbsError(404, 'repository.NoDefaultBranchException', 'The repository has no default branch.');
  return ok(branchJson(ctx.repo, ctx.repo.defaultBranch, sha));
}

/** `/commits/{commitId}`: a commit id, full or abbreviated; ref names are not taken (Bitbucket 2.11+). */
async function commit(ctx: RepoCtx, [id = '']: string[]): Promise<Reply> {
  const c = /^[0-9a-f]{4,40}$/i.test(id) ? await ctx.repo.git.commit(id) : undefined;
  if (!c) {
    return bbsError(
      404,
      'commit.NoSuchCommitException',
      `Commit '${id}' does not exist in repository '${ctx.repo.spec.name}'.`,
    );
  }
  return ok(commitJson(ctx.core, c));
}

async function pullRequest(ctx: RepoCtx, [id]: string[]): Promise<Reply> {
  const pr = ctx.repo.spec.pulls?.find((p) => String(p.number) === id);
  if (!pr) {
    return bbsError(
      404,
      'pull.NoSuchPullRequestException',
      `Pull request ${id} does not exist in ${ctx.repo.fullName}.`,
    );
  }
  const side = async (branch: string) => ({
    id: `refs/heads/${branch}`,
    displayId: branch,
    latestCommit: (await ctx.repo.git.branch(branch)) ?? '',
    type: 'BRANCH',
    repository: repoJson(ctx.core, ctx.repo, ctx.req.caller),
  });
  const web = repoJson(ctx.core, ctx.repo, undefined).links.self[0]?.href.replace(/\/browse$/, '');
  return ok({
    id: pr.number,
    version: 0,
    title: pr.title,
    description: '',
    state: 'OPEN',
    open: true,
    closed: false,
    draft: false,
    createdDate: CREATED,
    updatedDate: CREATED,
    fromRef: await side(pr.head),
    toRef: await side(pr.base),
    locked: false,
    author: { user: userJson(ctx.core, pr.author), role: 'AUTHOR', approved: false, status: 'UNAPPROVED' },
    reviewers: [],
    participants: [],
    links: { self: [{ href: `${web}/pull-requests/${pr.number}` }] },
  });
}

/** The commit `?at=` names (a branch, tag, `refs/…` or commit id; the default branch when absent). */
async function revision(ctx: RepoCtx): Promise<{ rev: string; sha?: string }> {
  const rev = ctx.req.query.get('at') || `refs/heads/${ctx.repo.defaultBranch}`;
  const sha = await ctx.repo.git.resolve(rev);
  return sha ? { rev, sha } : { rev };
}

/** `/browse/{path}?at=`: a file's lines, or a folder's children (paths relative to the folder). */
async function browse(ctx: RepoCtx, [raw = '']: string[]): Promise<Reply> {
  const path = raw.replace(/^\/+|\/+$/g, '');
  const { rev, sha } = await revision(ctx);
  if (!sha) return noCommit(ctx, rev);
  const type = path ? await ctx.repo.git.entryType(sha, path) : 'tree';
  if (!type) return noPath(path, rev);
  if (type === 'blob') {
    const text = ((await ctx.repo.git.readFile(sha, path)) ?? Buffer.alloc(0)).toString('utf8');
    const lines = text.replace(/\n$/, '').split('\n');
    return ok({
      lines: lines.map((line) => ({ text: line })),
      start: 0,
      size: lines.length,
      isLastPage: true,
    });
  }
  const children = (await ctx.repo.git.listTree(sha, path)).map((e) => ({
    path: pathJson(e.name),
    contentId: e.sha,
    type: e.type === 'tree' ? 'DIRECTORY' : e.type === 'commit' ? 'SUBMODULE' : 'FILE',
    ...(e.type === 'blob' && { size: e.size }),
  }));
  return ok({ path: pathJson(path), revision: rev, children: paged(ctx.req, children) });
}

/** `/raw/{path}?at=`: the file's bytes. */
async function rawFile(ctx: RepoCtx, [path = '']: string[]): Promise<Reply> {
  const { rev, sha } = await revision(ctx);
  if (!sha) return noCommit(ctx, rev);
  if ((await ctx.repo.git.entryType(sha, path)) !== 'blob') return noPath(path, rev);
  const data = (await ctx.repo.git.readFile(sha, path)) ?? Buffer.alloc(0);
  return { status: 200, body: data, headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

const noCommit = (ctx: RepoCtx, rev: string) =>
  bbsError(
    404,
    'commit.NoSuchCommitException',
    `Commit '${rev}' does not exist in repository '${ctx.repo.spec.name}'.`,
  );
const noPath = (path: string, rev: string) =>
  bbsError(404, 'content.NoSuchPathException', `The path "${path}" does not exist at revision "${rev}"`);

const repoRoutes: Route<RepoCtx>[] = [
  ['GET', /^$/, async (ctx) => ok(repoJson(ctx.core, ctx.repo, ctx.req.caller))],
  ['GET', /^\/default-branch$/, defaultBranch],
  // the older resource, deprecated since Bitbucket 7.5
  ['GET', /^\/branches\/default$/, defaultBranch],
  ['GET', /^\/branches$/, (ctx) => refList(ctx, 'heads')],
  ['GET', /^\/tags$/, (ctx) => refList(ctx, 'tags')],
  ['GET', /^\/commits\/([^/]+)$/, commit],
  ['GET', /^\/pull-requests\/(\d+)$/, pullRequest],
  ['GET', /^\/browse(?:\/(.*))?$/, browse],
  ['GET', /^\/raw\/(.+)$/, rawFile],
];

/** `/users/{userSlug}` and `/users?filter=`: any signed-in user may look users up. */
const userRoutes: Route<Ctx>[] = [
  [
    'GET',
    /^\/users\/([^/]+)$/,
    async ({ core, req }, [slug = '']) => {
      if (!req.caller) return notPermitted();
      const user = core.spec.users.find((u) => slugOf(u.login) === slug.toLowerCase());
      if (!user) return bbsError(404, 'user.NoSuchUserException', `User ${slug} does not exist.`);
      return ok(userJson(core, user.login));
    },
  ],
  [
    'GET',
    /^\/users$/,
    async ({ core, req }) => {
      if (!req.caller) return notPermitted();
      const filter = (req.query.get('filter') ?? '').toLowerCase();
      const found = core.spec.users.filter((u) =>
        [u.login, u.name, u.email].some((s) => s.toLowerCase().includes(filter)),
      );
      return ok(
        paged(
          req,
          found.map((u) => userJson(core, u.login)),
        ),
      );
    },
  ],
];

async function api(core: FakeCore, req: ApiRequest): Promise<Reply> {
  // `/rest/api/latest/…` is the same API as `/rest/api/1.0/…`
  const path = req.path.replace(/^\/rest\/api\/latest(?=\/|$)/, '') || '/';
  if (path === WHOAMI) {
    // the user name as plain text: how a client learns whose token it holds
    return req.caller
      ? { status: 200, body: req.caller.login, headers: { 'content-type': 'text/plain;charset=UTF-8' } }
      : { status: 401, body: '' };
  }
  const ctx: Ctx = { core, req };
  const m = /^\/(projects|users)\/([^/]+)\/repos\/([^/]+)(\/.*)?$/.exec(path);
  if (!m) return (await dispatch(userRoutes, ctx, req.method, path)) ?? apiError(404);
  const [key, slug] = [m[2], m[3]].map((s) => decodeURIComponent(s ?? ''));
  const owner = m[1] === 'users' ? `~${key}` : (key ?? '');
  const repo = core.repo(`${owner}/${slug}`);
  if (!repo) {
    return bbsError(
      404,
      'repository.NoSuchRepositoryException',
      `Repository ${owner.toUpperCase()}/${slug} does not exist.`,
    );
  }
  if (!core.canRead(repo, req.caller)) return notPermitted();
  return (await dispatch(repoRoutes, { ...ctx, repo }, req.method, m[4] ?? '')) ?? apiError(404);
}

/** `/scm/{projectKey}/{slug}.git/…`, `/scm/~{user}/{slug}.git/…` for a personal repository. */
function gitPath(pathname: string): { repo: string; rest: string } | undefined {
  const m = /^\/scm\/([^/]+)\/([^/]+?\.git)(\/.*)$/.exec(pathname);
  if (!m) return undefined;
  return { repo: `${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}`, rest: m[3] ?? '' };
}

/** Scopes grant up to what the user may do; each one includes those below it. */
const READ_SCOPES = ['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN', 'PROJECT_ADMIN', 'ADMIN', 'SYSTEM_ADMIN'];

export const bitbucketServerProvider: Provider = {
  name: 'fake-bitbucket-server',
  authorizePath: '/rest/oauth2/latest/authorize',
  tokenPath: '/rest/oauth2/latest/token',
  apiPrefix: '/rest/api/1.0',
  isApiPath: (pathname) => pathname === WHOAMI || /^\/rest\/api\/latest(\/|$)/.test(pathname),
  gitPath,
  // a token stands in for the user's password: git's Basic auth names that user
  gitUserIsLogin: true,
  tokenPrefix: 'bbs_',
  // without `scope`, a token sees what anonymous users see
  defaultScopes: ['PUBLIC_REPOS'],
  alwaysRefreshToken: true,
  readScopes: READ_SCOPES,
  writeScopes: READ_SCOPES.slice(1),
  token,
  api,
  apiError,
};

/**
 * Starts fake-bitbucket-server on 127.0.0.1: OAuth 2.0 at /rest/oauth2/latest/{authorize,token},
 * REST at /rest/api/1.0 (and /rest/api/latest), whoami at /plugins/servlet/applinks/whoami, git at
 * /scm/{key}/{slug}.git. A repository's `owner` is its project key, or `~login` for a personal one.
 * Access tokens expire after an hour (tokenLifetimeSeconds), Bitbucket's default.
 */
export function startFakeBitbucketServer(spec: FakeScmSpec, opts: { dir?: string } = {}): Promise<FakeScm> {
  for (const repo of spec.repos) {
    if (!/^(~[\w.-]+|[A-Za-z][A-Za-z0-9_]*)$/.test(repo.owner)) {
      throw new Error(
        `fake-bitbucket-server: owner ${repo.owner} of ${repo.name} must be a project key (a letter, then letters, digits, "_") or ~<login>`,
      );
    }
  }
  return startFake(
    { ...spec, tokenLifetimeSeconds: spec.tokenLifetimeSeconds ?? 3600 },
    bitbucketServerProvider,
    opts.dir,
  );
}
