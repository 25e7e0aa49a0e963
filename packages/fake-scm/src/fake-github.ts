// fake-github: GitHub's documented OAuth app flow, REST v3 (Enterprise paths under /api/v3) and git smart HTTP.
import type { IncomingMessage } from 'node:http';
import type { OAuthFailure, TokenResult } from './oauth.js';
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

const DOCS = 'https://docs.github.com/rest';

const githubErrors: Record<OAuthFailure, [string, string]> = {
  invalid_client: [
    'incorrect_client_credentials',
    'The client_id and/or client_secret passed are incorrect.',
  ],
  redirect_uri_mismatch: [
    'redirect_uri_mismatch',
    'The redirect_uri MUST match the registered callback URL for this application.',
  ],
  invalid_code: ['bad_verification_code', 'The code passed is incorrect or expired.'],
  invalid_verifier: [
    'bad_verification_code',
    'The code_verifier does not match the code_challenge of the authorization request.',
  ],
  invalid_refresh_token: ['bad_refresh_token', 'The refresh token passed is incorrect or expired.'],
  unsupported_grant_type: ['unsupported_grant_type', 'The grant type is not supported.'],
};

/** `POST /login/oauth/access_token`: always 200; form-encoded unless the client accepts JSON. */
function token(core: FakeCore, req: TokenRequest, headers: IncomingMessage['headers']): Reply {
  const clientId = req.client_id ?? '';
  const clientSecret = req.client_secret ?? '';
  const grantType = req.grant_type ?? 'authorization_code';
  let result: TokenResult;
  if (grantType === 'refresh_token' && core.spec.tokenLifetimeSeconds !== undefined) {
    result = core.store.redeemRefreshToken({ clientId, clientSecret, refreshToken: req.refresh_token ?? '' });
  } else if (grantType === 'authorization_code') {
    result = core.store.redeemCode({
      clientId,
      clientSecret,
      code: req.code ?? '',
      ...(req.redirect_uri && { redirectUri: req.redirect_uri }),
      ...(req.code_verifier && { codeVerifier: req.code_verifier }),
    });
  } else {
    // refresh tokens exist only when tokens expire (GitHub Apps); other grants are unknown to GitHub
    result = {
      ok: false,
      failure: grantType === 'refresh_token' ? 'invalid_refresh_token' : 'unsupported_grant_type',
    };
  }
  let body: Record<string, string | number>;
  if (result.ok) {
    const g = result.grant;
    body = { access_token: g.accessToken, token_type: 'bearer', scope: g.scopes.join(',') };
    if (g.expiresIn !== undefined) body.expires_in = g.expiresIn;
    if (g.refreshToken !== undefined) body.refresh_token = g.refreshToken;
    if (g.refreshToken !== undefined) body.refresh_token_expires_in = 15_897_600;
    core.log.push({ kind: 'token', clientId, grantType, login: g.login });
  } else {
    const [error, description] = githubErrors[result.failure];
    body = { error, error_description: description, error_uri: `${DOCS}/apps/oauth-apps` };
    core.log.push({ kind: 'token', clientId, grantType, error });
  }
  if (/json/i.test(headers.accept ?? '')) return { status: 200, body };
  const form = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]));
  return {
    status: 200,
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

const apiError = (status: 401 | 404, message?: string): Reply => ({
  status,
  body: { message: message ?? (status === 401 ? 'Bad credentials' : 'Not Found'), documentation_url: DOCS },
});

interface Ctx {
  core: FakeCore;
  req: ApiRequest;
}
interface RepoCtx extends Ctx {
  repo: RepoRecord;
}

const ok = (body: unknown): Reply => ({ status: 200, body });

function userJson(core: FakeCore, login: string) {
  const user = core.user(login);
  const isOrg = !user;
  return {
    login,
    id: user?.id ?? 0,
    node_id: Buffer.from(`User${user?.id ?? login}`).toString('base64'),
    avatar_url: `${core.url}/avatars/${login}.png`,
    html_url: `${core.url}/${login}`,
    url: `${core.url}/api/v3/users/${login}`,
    type: isOrg ? 'Organization' : 'User',
    site_admin: false,
  };
}

function repoJson(ctx: Ctx, repo: RepoRecord) {
  const { core, req } = ctx;
  const member = !!req.caller && core.isMember(repo, req.caller.login);
  return {
    id: repo.id,
    node_id: Buffer.from(`Repository${repo.id}`).toString('base64'),
    name: repo.spec.name,
    full_name: repo.fullName,
    private: repo.spec.private,
    visibility: repo.spec.private ? 'private' : 'public',
    owner: userJson(core, repo.spec.owner),
    html_url: `${core.url}/${repo.fullName}`,
    clone_url: `${core.url}/${repo.fullName}.git`,
    url: `${core.url}/api/v3/repos/${repo.fullName}`,
    default_branch: repo.defaultBranch,
    fork: false,
    archived: false,
    ...(req.caller && {
      permissions: { admin: repo.spec.owner === req.caller.login, push: member, pull: true },
    }),
  };
}

function commitJson(ctx: RepoCtx, c: CommitInfo) {
  const base = `${ctx.core.url}/api/v3/repos/${ctx.repo.fullName}`;
  return {
    sha: c.sha,
    node_id: Buffer.from(`Commit${c.sha}`).toString('base64'),
    url: `${base}/commits/${c.sha}`,
    html_url: `${ctx.core.url}/${ctx.repo.fullName}/commit/${c.sha}`,
    commit: {
      message: c.message,
      author: { name: c.authorName, email: c.authorEmail, date: c.authorDate },
      committer: { name: c.committerName, email: c.committerEmail, date: c.committerDate },
      tree: { sha: c.tree, url: `${base}/git/trees/${c.tree}` },
    },
    parents: c.parents.map((sha) => ({ sha, url: `${base}/commits/${sha}` })),
  };
}

async function pull(ctx: RepoCtx, [n]: string[]): Promise<Reply> {
  const pr = ctx.repo.spec.pulls?.find((p) => String(p.number) === n);
  if (!pr) return apiError(404);
  const side = async (repo: RepoRecord, ref: string) => ({
    label: `${repo.spec.owner}:${ref}`,
    ref,
    sha: (await repo.git.branch(ref)) ?? '',
    user: userJson(ctx.core, repo.spec.owner),
    // null, as GitHub answers, when the fork was deleted
    repo: repoJson(ctx, repo),
  });
  const fork = pr.headRepo ? ctx.core.repo(pr.headRepo) : ctx.repo;
  return ok({
    number: pr.number,
    title: pr.title,
    state: 'open',
    html_url: `${ctx.core.url}/${ctx.repo.fullName}/pull/${pr.number}`,
    user: userJson(ctx.core, pr.author),
    head: fork
      ? await side(fork, pr.head)
      : { label: `unknown:${pr.head}`, ref: pr.head, sha: '', repo: null },
    base: await side(ctx.repo, pr.base),
  });
}

async function issue(ctx: RepoCtx, [n]: string[]): Promise<Reply> {
  const found = ctx.repo.spec.issues?.find((i) => String(i.number) === n);
  // GitHub's issues API also answers for pull requests, marking them with `pull_request`
  const pr = found ? undefined : ctx.repo.spec.pulls?.find((p) => String(p.number) === n);
  const item = found ?? pr;
  if (!item) return apiError(404);
  const html = `${ctx.core.url}/${ctx.repo.fullName}/${pr ? 'pull' : 'issues'}/${item.number}`;
  return ok({
    number: item.number,
    title: item.title,
    state: 'open',
    html_url: html,
    user: userJson(ctx.core, item.author),
    body: null,
    ...(pr && { pull_request: { html_url: html } }),
  });
}

async function commit(ctx: RepoCtx, [ref = '']: string[]): Promise<Reply> {
  const c = await ctx.repo.git.commit(ref);
  if (!c)
    return { status: 422, body: { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS } };
  return ok(commitJson(ctx, c));
}

async function branch(ctx: RepoCtx, [name = '']: string[]): Promise<Reply> {
  const sha = await ctx.repo.git.branch(name);
  const c = sha ? await ctx.repo.git.commit(sha) : undefined;
  if (!c) return apiError(404, 'Branch not found');
  return ok({ name, commit: commitJson(ctx, c), protected: false });
}

function refJson(ctx: RepoCtx, ref: string, sha: string) {
  const base = `${ctx.core.url}/api/v3/repos/${ctx.repo.fullName}/git`;
  return {
    ref,
    node_id: Buffer.from(`Ref${ref}`).toString('base64'),
    url: `${base}/${ref}`,
    object: { sha, type: 'commit', url: `${base}/commits/${sha}` },
  };
}

async function matchingRefs(ctx: RepoCtx, [kind = '', prefix = '']: string[]): Promise<Reply> {
  const refs = await ctx.repo.git.refs(kind as 'heads' | 'tags', prefix);
  return ok(refs.map((r) => refJson(ctx, r.ref, r.sha)));
}

async function singleRef(ctx: RepoCtx, [kind = '', name = '']: string[]): Promise<Reply> {
  const sha = kind === 'heads' ? await ctx.repo.git.branch(name) : await ctx.repo.git.tag(name);
  return sha ? ok(refJson(ctx, `refs/${kind}/${name}`, sha)) : apiError(404);
}

async function contents(ctx: RepoCtx, [rawPath = '']: string[]): Promise<Reply> {
  const { repo, core } = ctx;
  const path = rawPath.replace(/^\/+|\/+$/g, '');
  const ref = ctx.req.query.get('ref') ?? repo.defaultBranch;
  const sha = await repo.git.resolve(ref);
  const type = sha ? await repo.git.entryType(sha, path) : undefined;
  if (!sha || !type) return apiError(404);
  const base = `${core.url}/api/v3/repos/${repo.fullName}/contents`;
  const entry = (name: string, p: string, objectSha: string, size: number, t: string) => ({
    type: t === 'tree' ? 'dir' : 'file',
    name,
    path: p,
    sha: objectSha,
    size,
    url: `${base}/${p}?ref=${encodeURIComponent(ref)}`,
    html_url: `${core.url}/${repo.fullName}/${t === 'tree' ? 'tree' : 'blob'}/${ref}/${p}`,
    download_url: t === 'tree' ? null : `${core.url}/${repo.fullName}/raw/${ref}/${p}`,
  });
  if (type === 'tree') {
    const list = await repo.git.listTree(sha, path);
    return ok(list.map((e) => entry(e.name, path ? `${path}/${e.name}` : e.name, e.sha, e.size, e.type)));
  }
  const data = (await repo.git.readFile(sha, path)) ?? Buffer.alloc(0);
  const objectSha = (await repo.git.objectSha(sha, path)) ?? '';
  const name = path.split('/').pop() ?? path;
  // as GitHub does: base64 wrapped at 60 characters
  const content = (data.toString('base64').match(/.{1,60}/g) ?? []).join('\n');
  return ok({
    ...entry(name, path, objectSha, data.length, 'blob'),
    encoding: 'base64',
    content: content ? `${content}\n` : '',
  });
}

const repoRoutes: Route<RepoCtx>[] = [
  ['GET', /^$/, async (ctx) => ok(repoJson(ctx, ctx.repo))],
  ['GET', /^\/pulls\/(\d+)$/, pull],
  ['GET', /^\/issues\/(\d+)$/, issue],
  ['GET', /^\/commits\/(.+)$/, commit],
  ['GET', /^\/branches\/(.+)$/, branch],
  ['GET', /^\/git\/matching-refs\/(heads|tags)(?:\/(.*))?$/, matchingRefs],
  ['GET', /^\/git\/ref\/(heads|tags)\/(.+)$/, singleRef],
  ['GET', /^\/contents(?:\/(.*))?$/, contents],
];

const userRoutes: Route<Ctx>[] = [
  [
    'GET',
    /^\/user$/,
    async ({ core, req }) => {
      const user = core.user(req.caller?.login ?? '');
      if (!user) return apiError(401, 'Requires authentication');
      return ok({ ...userJson(core, user.login), name: user.name, email: user.email });
    },
  ],
  [
    'GET',
    /^\/user\/emails$/,
    async ({ core, req }) => {
      const user = core.user(req.caller?.login ?? '');
      if (!user || !req.caller) return apiError(401, 'Requires authentication');
      if (!hasAny(req.caller.scopes, ['user', 'user:email'])) return apiError(404);
      return ok([{ email: user.email, primary: true, verified: true, visibility: 'public' }]);
    },
  ],
];

async function api(core: FakeCore, req: ApiRequest): Promise<Reply> {
  const ctx: Ctx = { core, req };
  const repoMatch = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(req.path);
  let reply: Reply | undefined;
  if (repoMatch) {
    const repo = core.repo(
      `${decodeURIComponent(repoMatch[1] ?? '')}/${decodeURIComponent(repoMatch[2] ?? '')}`,
    );
    if (repo && core.canRead(repo, req.caller)) {
      reply = await dispatch(repoRoutes, { ...ctx, repo }, req.method, repoMatch[3] ?? '');
    }
  } else reply = await dispatch(userRoutes, ctx, req.method, req.path);
  reply ??= apiError(404);
  if (req.caller) reply.headers = { ...reply.headers, 'x-oauth-scopes': req.caller.scopes.join(', ') };
  return { ...reply, headers: { ...reply.headers, 'x-github-media-type': 'github.v3' } };
}

export const githubProvider: Provider = {
  name: 'fake-github',
  authorizePath: '/login/oauth/authorize',
  tokenPath: '/login/oauth/access_token',
  apiPrefix: '/api/v3',
  tokenPrefix: 'gho_',
  defaultScopes: [],
  alwaysRefreshToken: false,
  readScopes: ['repo'],
  // public_repo only reaches public repositories: reading a private one already needs `repo`
  writeScopes: ['repo', 'public_repo'],
  token,
  api,
  apiError,
};

/** Starts fake-github on 127.0.0.1; OAuth at /login/oauth/*, REST at /api/v3, git at /{owner}/{repo}.git. */
export function startFakeGitHub(spec: FakeScmSpec, opts: { dir?: string } = {}): Promise<FakeScm> {
  return startFake(spec, githubProvider, opts.dir);
}
