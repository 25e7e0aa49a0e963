// fake-bitbucket: Bitbucket Cloud's documented OAuth 2 flow, REST /2.0 and git smart HTTP.
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

const bitbucketErrors: Record<OAuthFailure, [string, string]> = {
  invalid_client: ['invalid_client', 'Invalid OAuth client credentials'],
  redirect_uri_mismatch: [
    'invalid_grant',
    'The redirect_uri does not match the one of the authorization request',
  ],
  invalid_code: ['invalid_grant', 'The authorization code is invalid or expired.'],
  invalid_verifier: ['invalid_grant', 'The code_verifier does not match the code_challenge.'],
  invalid_refresh_token: ['invalid_grant', 'Invalid refresh_token'],
  unsupported_grant_type: ['unsupported_grant_type', 'Unsupported grant type'],
};

/** `POST /site/oauth2/access_token`: the client authenticates with HTTP Basic (form fields also accepted). */
function token(core: FakeCore, req: TokenRequest, _headers: IncomingMessage['headers']): Reply {
  const clientId = req.basicUser ?? req.client_id ?? '';
  const clientSecret = req.basicPassword ?? req.client_secret ?? '';
  const { grantType, result } = redeemTokenRequest(core.store, req, { clientId, clientSecret });
  if (!result.ok) {
    const [error, description] = bitbucketErrors[result.failure];
    core.log.push({ kind: 'token', clientId, grantType, error });
    return { status: 400, body: { error, error_description: description } };
  }
  const g = result.grant;
  core.log.push({ kind: 'token', clientId, grantType, login: g.login });
  return {
    status: 200,
    body: {
      access_token: g.accessToken,
      scopes: g.scopes.join(' '),
      ...(g.expiresIn !== undefined && { expires_in: g.expiresIn }),
      refresh_token: g.refreshToken,
      token_type: 'bearer',
      state: grantType,
    },
  };
}

const apiError = (status: 401 | 404, message?: string): Reply => ({
  status,
  body: {
    type: 'error',
    error: {
      message: message ?? (status === 401 ? 'Access token expired or invalid.' : 'Resource not found'),
    },
  },
});
const ok = (body: unknown): Reply => ({ status: 200, body });
const uuid = (n: number) => `{00000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;

interface Ctx {
  core: FakeCore;
  req: ApiRequest;
}
interface RepoCtx extends Ctx {
  repo: RepoRecord;
}

function accountJson(core: FakeCore, login: string) {
  const user = core.user(login);
  return {
    type: 'user',
    uuid: uuid(user?.id ?? 0),
    account_id: `5f00000000000000000000${String(user?.id ?? 0).padStart(2, '0')}`,
    username: login,
    nickname: login,
    display_name: user?.name ?? login,
    links: {
      avatar: { href: `${core.url}/account/${login}/avatar` },
      html: { href: `${core.url}/${login}/` },
    },
  };
}

function repoJson(core: FakeCore, repo: RepoRecord) {
  const { owner, name } = repo.spec;
  return {
    type: 'repository',
    uuid: uuid(repo.id),
    full_name: repo.fullName,
    name,
    slug: name,
    is_private: repo.spec.private,
    scm: 'git',
    mainbranch: { type: 'branch', name: repo.defaultBranch },
    owner: accountJson(core, owner),
    workspace: { type: 'workspace', slug: owner, name: owner, uuid: uuid(0) },
    links: {
      html: { href: `${core.url}/${repo.fullName}` },
      clone: [{ name: 'https', href: `${core.url}/${repo.fullName}.git` }],
    },
  };
}

function commitJson(ctx: RepoCtx, c: CommitInfo) {
  const login = ctx.core.spec.users.find((u) => u.email === c.authorEmail)?.login;
  return {
    type: 'commit',
    hash: c.sha,
    date: c.authorDate,
    message: c.message,
    author: {
      type: 'author',
      raw: `${c.authorName} <${c.authorEmail}>`,
      ...(login && { user: accountJson(ctx.core, login) }),
    },
    parents: c.parents.map((hash) => ({ type: 'commit', hash })),
    links: { html: { href: `${ctx.core.url}/${ctx.repo.fullName}/commits/${c.sha}` } },
  };
}

async function pullRequest(ctx: RepoCtx, [id]: string[]): Promise<Reply> {
  const pr = ctx.repo.spec.pulls?.find((p) => String(p.number) === id);
  if (!pr) return apiError(404);
  const side = async (repo: RepoRecord, branch: string) => ({
    branch: { name: branch },
    commit: { type: 'commit', hash: (await repo.git.branch(branch)) ?? '' },
    repository: {
      type: 'repository',
      full_name: repo.fullName,
      name: repo.spec.name,
      uuid: uuid(repo.id),
    },
  });
  const fork = (pr.headRepo ? ctx.core.repo(pr.headRepo) : undefined) ?? ctx.repo;
  return ok({
    type: 'pullrequest',
    id: pr.number,
    title: pr.title,
    state: 'OPEN',
    author: accountJson(ctx.core, pr.author),
    source: await side(fork, pr.head),
    destination: await side(ctx.repo, pr.base),
    links: { html: { href: `${ctx.core.url}/${ctx.repo.fullName}/pull-requests/${pr.number}` } },
  });
}

async function issue(ctx: RepoCtx, [id]: string[]): Promise<Reply> {
  const found = ctx.repo.spec.issues?.find((i) => String(i.number) === id);
  if (!found) return apiError(404);
  return ok({
    type: 'issue',
    id: found.number,
    title: found.title,
    state: 'new',
    reporter: accountJson(ctx.core, found.author),
    links: { html: { href: `${ctx.core.url}/${ctx.repo.fullName}/issues/${found.number}` } },
  });
}

async function commit(ctx: RepoCtx, [ref = '']: string[]): Promise<Reply> {
  const c = await ctx.repo.git.commit(ref);
  return c ? ok(commitJson(ctx, c)) : apiError(404, `Commit not found`);
}

async function ref(ctx: RepoCtx, kind: 'branch' | 'tag', name: string): Promise<Reply> {
  const sha = kind === 'branch' ? await ctx.repo.git.branch(name) : await ctx.repo.git.tag(name);
  const c = sha ? await ctx.repo.git.commit(sha) : undefined;
  if (!c) return apiError(404, `${kind === 'branch' ? 'Branch' : 'Tag'} "${name}" not found`);
  return ok({
    type: kind,
    name,
    target: commitJson(ctx, c),
    links: { html: { href: `${ctx.core.url}/${ctx.repo.fullName}/src/${name}` } },
  });
}

/** `/src/{commit}/{path}`: a file's raw bytes, or a directory's paginated listing. */
async function src(ctx: RepoCtx, [rev = '', rawPath = '']: string[]): Promise<Reply> {
  const path = rawPath.replace(/\/+$/, '');
  const sha = await ctx.repo.git.resolve(rev);
  const type = sha ? await ctx.repo.git.entryType(sha, path) : undefined;
  if (!sha || !type) return apiError(404, `No such file or directory: ${path}`);
  if (type === 'blob') {
    const data = (await ctx.repo.git.readFile(sha, path)) ?? Buffer.alloc(0);
    return { status: 200, body: data, headers: { 'content-type': 'text/plain' } };
  }
  const entries = await ctx.repo.git.listTree(sha, path);
  const values = entries.map((e) => ({
    type: e.type === 'tree' ? 'commit_directory' : 'commit_file',
    path: path ? `${path}/${e.name}` : e.name,
    commit: { type: 'commit', hash: sha },
    ...(e.type !== 'tree' && { size: e.size }),
  }));
  return ok({ pagelen: values.length, page: 1, values });
}

const repoRoutes: Route<RepoCtx>[] = [
  ['GET', /^$/, async (ctx) => ok(repoJson(ctx.core, ctx.repo))],
  ['GET', /^\/pullrequests\/(\d+)$/, pullRequest],
  ['GET', /^\/issues\/(\d+)$/, issue],
  ['GET', /^\/commit\/([^/]+)$/, commit],
  ['GET', /^\/refs\/branches\/(.+)$/, (ctx, [name = '']) => ref(ctx, 'branch', name)],
  ['GET', /^\/refs\/tags\/(.+)$/, (ctx, [name = '']) => ref(ctx, 'tag', name)],
  ['GET', /^\/src\/([^/]+)\/?(.*)$/, src],
];

const userRoutes: Route<Ctx>[] = [
  [
    'GET',
    /^\/user$/,
    async ({ core, req }) => {
      if (!req.caller)
        return apiError(
          401,
          'This API is only accessible with the following authentication types: session, password, apppassword, oauth2',
        );
      if (!hasAny(req.caller.scopes, ['account', 'account:write', 'email'])) return apiError(404);
      return ok(accountJson(core, req.caller.login));
    },
  ],
  [
    'GET',
    /^\/user\/emails$/,
    async ({ core, req }) => {
      const user = core.user(req.caller?.login ?? '');
      if (!user || !req.caller) return apiError(401);
      if (!hasAny(req.caller.scopes, ['email'])) return apiError(404);
      const values = [{ type: 'email', email: user.email, is_primary: true, is_confirmed: true }];
      return ok({ pagelen: 10, page: 1, size: 1, values });
    },
  ],
];

async function api(core: FakeCore, req: ApiRequest): Promise<Reply> {
  const ctx: Ctx = { core, req };
  const m = /^\/repositories\/([^/]+)\/([^/]+)(\/.*)?$/.exec(req.path);
  if (!m) return (await dispatch(userRoutes, ctx, req.method, req.path)) ?? apiError(404);
  const repo = core.repo(`${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}`);
  if (!repo || !core.canRead(repo, req.caller)) return apiError(404, 'Repository not found');
  return (await dispatch(repoRoutes, { ...ctx, repo }, req.method, m[3] ?? '')) ?? apiError(404);
}

export const bitbucketProvider: Provider = {
  name: 'fake-bitbucket',
  authorizePath: '/site/oauth2/authorize',
  tokenPath: '/site/oauth2/access_token',
  apiPrefix: '/2.0',
  tokenPrefix: 'bbt_',
  // Bitbucket scopes belong to the OAuth consumer; without a `scope` parameter the consumer's are granted
  defaultScopes: ['account', 'email', 'repository', 'repository:write', 'pullrequest', 'issue'],
  alwaysRefreshToken: true,
  readScopes: ['repository', 'repository:write', 'repository:admin', 'pullrequest', 'pullrequest:write'],
  writeScopes: ['repository:write', 'repository:admin', 'pullrequest:write'],
  token,
  api,
  apiError,
};

/** Starts fake-bitbucket on 127.0.0.1; OAuth at /site/oauth2/*, REST at /2.0, git at /{workspace}/{slug}.git. */
export function startFakeBitbucket(spec: FakeScmSpec, opts: { dir?: string } = {}): Promise<FakeScm> {
  return startFake(spec, bitbucketProvider, opts.dir);
}
