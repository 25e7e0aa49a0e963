// The HTTP core every fake shares: routing to sign-in, token, REST and git, access checks, the event log.
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveGit } from './git-backend.js';
import { errorPage, OAuthStore, parseAuthorize, redirectWith, signInPage } from './oauth.js';
import {
  BareRepo,
  createBareRepo,
  type FakeScm,
  type FakeScmEvent,
  type FakeScmRepo,
  type FakeScmSpec,
  type FakeScmUser,
} from './repos.js';

export interface Caller {
  login: string;
  scopes: string[];
}

/** A repository as the fakes serve it: its spec, a numeric id and the bare repo on disk. */
export interface RepoRecord {
  spec: FakeScmRepo;
  id: number;
  fullName: string;
  defaultBranch: string;
  git: BareRepo;
}

export interface Reply {
  status: number;
  /** JSON unless a string or Buffer (then sent as is, with the content type from headers) */
  body: unknown;
  headers?: Record<string, string>;
}

export interface ApiRequest {
  method: string;
  /** path below the API prefix (or whole, see Provider.isApiPath), still URL-encoded, e.g. `/repos/octo/hello` */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  caller?: Caller;
}

/** Fields of a token request: form or JSON body, plus client credentials from HTTP Basic auth if sent. */
export type TokenRequest = Record<string, string> & { basicUser?: string; basicPassword?: string };

export interface Provider {
  name: 'fake-github' | 'fake-gitlab' | 'fake-bitbucket' | 'fake-bitbucket-server' | 'fake-azure-devops';
  /** a path, or a pattern where a segment varies (Entra ID: `/{tenant}/oauth2/v2.0/authorize`) */
  authorizePath: string | RegExp;
  tokenPath: string | RegExp;
  apiPrefix: string;
  /** more paths of the REST API (Azure DevOps: `/{org}/{project}/_apis/…`); `api` gets them whole */
  isApiPath?(pathname: string): boolean;
  /** a git smart-HTTP path as repository and rest; default `/<owner>/<name>.git/<rest>` */
  gitPath?(pathname: string): { repo: string; rest: string } | undefined;
  /** git's Basic auth must name the token's own user (Bitbucket Data Center); default: any name */
  gitUserIsLogin?: boolean;
  tokenPrefix: string;
  defaultScopes: string[];
  alwaysRefreshToken: boolean;
  /** any one of these lets a token read private repositories (REST and git) */
  readScopes: string[];
  /** any one of these lets a token push */
  writeScopes: string[];
  token(core: FakeCore, req: TokenRequest, headers: IncomingMessage['headers']): Reply;
  api(core: FakeCore, req: ApiRequest): Promise<Reply>;
  /** the provider's 401 (bad token) and 404 answers */
  apiError(status: 401 | 404, message?: string): Reply;
}

export class FakeCore {
  readonly log: FakeScmEvent[] = [];
  readonly store: OAuthStore;
  readonly repos: RepoRecord[];
  url = '';

  constructor(
    readonly spec: FakeScmSpec,
    readonly provider: Provider,
    readonly root: string,
  ) {
    this.store = new OAuthStore({
      apps: spec.apps,
      tokenPrefix: provider.tokenPrefix,
      alwaysRefreshToken: provider.alwaysRefreshToken,
      ...(spec.tokenLifetimeSeconds !== undefined && { tokenLifetimeSeconds: spec.tokenLifetimeSeconds }),
    });
    this.repos = spec.repos.map((repo, i) => {
      const owner = this.user(repo.owner);
      const author = owner ?? { name: 'fake-scm', email: 'fake-scm@example.invalid' };
      const path = createBareRepo(join(root, 'repos'), repo, author);
      const fullName = `${repo.owner}/${repo.name}`;
      return {
        spec: repo,
        id: 1000 + i,
        fullName,
        defaultBranch: repo.defaultBranch ?? 'main',
        git: new BareRepo(path),
      };
    });
  }

  user(login: string): FakeScmUser | undefined {
    return this.spec.users.find((u) => u.login === login);
  }

  /** Case-insensitive, as the real services are. */
  repo(fullName: string): RepoRecord | undefined {
    const key = fullName.replace(/\.git$/, '').toLowerCase();
    return this.repos.find((r) => r.fullName.toLowerCase() === key);
  }

  repoById(id: number): RepoRecord | undefined {
    return this.repos.find((r) => r.id === id);
  }

  /** The owner (a user's personal project `~login` too) or a collaborator. */
  isMember(repo: RepoRecord, login: string): boolean {
    const { owner, collaborators } = repo.spec;
    return owner === login || owner === `~${login}` || (collaborators ?? []).includes(login);
  }

  canRead(repo: RepoRecord, caller: Caller | undefined): boolean {
    if (!repo.spec.private) return true;
    return !!caller && this.isMember(repo, caller.login) && hasAny(caller.scopes, this.provider.readScopes);
  }

  canWrite(repo: RepoRecord, caller: Caller | undefined): boolean {
    return !!caller && this.isMember(repo, caller.login) && hasAny(caller.scopes, this.provider.writeScopes);
  }
}

export const hasAny = (have: string[], want: string[]) => want.some((s) => have.includes(s));

/** Starts a fake on 127.0.0.1 with a free port; `close()` stops it and removes its folder. */
export async function startFake(spec: FakeScmSpec, provider: Provider, dir?: string): Promise<FakeScm> {
  const root = mkdtempSync(join(dir ?? tmpdir(), `${provider.name}-`));
  const core = new FakeCore(spec, provider, root);
  const server = http.createServer((req, res) => {
    handle(core, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${provider.name}: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  core.url = `http://127.0.0.1:${port}`;
  return {
    url: core.url,
    host: `127.0.0.1:${port}`,
    log: core.log,
    repoPath: (owner, name) => {
      const repo = core.repo(`${owner}/${name}`);
      if (!repo) throw new Error(`${provider.name} has no repository ${owner}/${name} — add it to the spec`);
      return repo.git.path;
    },
    issueToken: (login, scopes) => {
      if (!core.user(login)) throw new Error(`${provider.name} has no user ${login} — add it to spec.users`);
      return core.store.mint(login, scopes).accessToken;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function handle(core: FakeCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const { provider } = core;
  if (matches(provider.authorizePath, url.pathname)) return handleAuthorize(core, req, res, url);
  if (matches(provider.tokenPath, url.pathname) && req.method === 'POST') {
    const fields = await readTokenRequest(req, url.searchParams);
    return send(res, provider.token(core, fields, req.headers));
  }
  if (
    url.pathname === provider.apiPrefix ||
    url.pathname.startsWith(`${provider.apiPrefix}/`) ||
    provider.isApiPath?.(url.pathname)
  ) {
    return handleApi(core, req, res, url);
  }
  const git = provider.gitPath ? provider.gitPath(url.pathname) : dotGitPath(url.pathname);
  if (git) return handleGit(core, req, res, git.repo, git.rest);
  send(res, { status: 404, body: `${provider.name}: no page at ${url.pathname}\n` });
}

const matches = (path: string | RegExp, pathname: string) =>
  typeof path === 'string' ? pathname === path : path.test(pathname);

function dotGitPath(pathname: string): { repo: string; rest: string } | undefined {
  const m = /^\/(.+?\.git)(\/.*)$/.exec(pathname);
  return m ? { repo: m[1] ?? '', rest: m[2] ?? '' } : undefined;
}

async function handleApi(core: FakeCore, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { provider } = core;
  const { pathname } = url;
  const below = pathname === provider.apiPrefix || pathname.startsWith(`${provider.apiPrefix}/`);
  const path = below ? pathname.slice(provider.apiPrefix.length) || '/' : pathname;
  const token = bearerToken(req.headers.authorization);
  const caller = token === undefined ? undefined : core.store.lookup(token);
  const method = req.method ?? 'GET';
  let reply: Reply;
  if (token !== undefined && !caller) reply = provider.apiError(401);
  else {
    const apiReq: ApiRequest = { method, path, query: url.searchParams, headers: req.headers };
    if (caller) apiReq.caller = caller;
    reply = await provider.api(core, apiReq);
  }
  core.log.push({
    kind: 'api',
    method,
    path: url.pathname + url.search,
    status: reply.status,
    ...(caller && { login: caller.login }),
  });
  send(res, reply);
}

/** `Authorization: Bearer <t>` or GitHub's `token <t>`; undefined when absent. */
function bearerToken(header: string | undefined): string | undefined {
  const m = /^(?:bearer|token)\s+(\S+)$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}

function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString();
  const i = decoded.indexOf(':');
  return i === -1 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

async function handleAuthorize(
  core: FakeCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const name = core.provider.name;
  const parsed = parseAuthorize(core.store, url.searchParams, core.provider.defaultScopes);
  if (!parsed.ok) return send(res, html(400, errorPage(name, parsed.message)));
  const { params } = parsed;
  if (req.method !== 'POST') return send(res, html(200, signInPage(name, params.clientId, core.spec.users)));
  const form = new URLSearchParams((await readBody(req)).toString());
  if (form.get('deny')) {
    const denied = redirectWith(params, {
      error: 'access_denied',
      error_description: 'The user denied access',
    });
    return send(res, { status: 302, body: '', headers: { location: denied } });
  }
  const user = core.user(form.get('login') ?? '');
  if (!user || (user.password !== undefined && user.password !== form.get('password'))) {
    const page = signInPage(name, params.clientId, core.spec.users, 'Incorrect username or password.');
    return send(res, html(401, page));
  }
  const code = core.store.issueCode(params, user.login);
  core.log.push({ kind: 'authorize', clientId: params.clientId, login: user.login, scopes: params.scopes });
  send(res, { status: 302, body: '', headers: { location: redirectWith(params, { code }) } });
}

async function handleGit(
  core: FakeCore,
  req: IncomingMessage,
  res: ServerResponse,
  repoPath: string,
  rest: string,
): Promise<void> {
  const { provider } = core;
  const url = new URL(req.url ?? '/', 'http://fake');
  const service = url.searchParams.get('service') ?? rest.split('/').pop() ?? '';
  const push = service === 'git-receive-pack';
  const repo = core.repo(repoPath);
  const creds = basicAuth(req.headers.authorization);
  const caller = creds ? core.store.lookup(creds.password) : undefined;
  const deny = (status: number, text: string) => {
    core.log.push({ kind: 'git', repo: repoPath, service, status, ...(caller && { login: caller.login }) });
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (status === 401) headers['www-authenticate'] = `Basic realm="${provider.name}"`;
    send(res, { status, body: `${provider.name}: ${text}\n`, headers });
  };
  if (creds && !caller) return deny(401, 'invalid username or token');
  if (caller && provider.gitUserIsLogin && creds?.user !== caller.login)
    return deny(401, `the token belongs to ${caller.login}: give that user name with it`);
  const needsAuth = push || !repo || repo.spec.private;
  if (needsAuth && !caller) return deny(401, 'authentication required; use a token as the password');
  if (!repo || !core.canRead(repo, caller)) return deny(404, 'repository not found');
  if (push && !core.canWrite(repo, caller))
    return deny(403, `${caller?.login} may not push to ${repo.fullName}`);
  const before = push ? await repo.git.allRefs() : undefined;
  await serveGit(req, res, {
    projectRoot: join(core.root, 'repos'),
    pathInfo: `/${repo.spec.owner}/${repo.spec.name}.git${rest}`,
    query: url.search.slice(1),
    ...(caller && { remoteUser: caller.login }),
    beforeEnd: async () => {
      const login = caller?.login;
      core.log.push({
        kind: 'git',
        repo: repo.fullName,
        service,
        status: res.statusCode,
        ...(login && { login }),
      });
      if (before && login && req.method === 'POST') await recordPush(core, repo, before, login);
    },
  });
}

async function recordPush(core: FakeCore, repo: RepoRecord, before: Map<string, string>, login: string) {
  const zero = '0'.repeat(40);
  const after = await repo.git.allRefs();
  for (const ref of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(ref) ?? zero;
    const now = after.get(ref) ?? zero;
    if (old !== now)
      core.log.push({ kind: 'push', repo: repo.fullName, ref, before: old, after: now, login });
  }
}

async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readTokenRequest(req: IncomingMessage, query: URLSearchParams): Promise<TokenRequest> {
  const fields: TokenRequest = Object.fromEntries(query);
  const body = (await readBody(req)).toString();
  if (/json/i.test(req.headers['content-type'] ?? '') && body.trim()) {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') fields[k] = v;
    }
  } else for (const [k, v] of new URLSearchParams(body)) fields[k] = v;
  const basic = basicAuth(req.headers.authorization);
  if (basic) {
    fields.basicUser = basic.user;
    fields.basicPassword = basic.password;
  }
  return fields;
}

export const html = (status: number, body: string): Reply => ({
  status,
  body,
  headers: { 'content-type': 'text/html; charset=utf-8' },
});

export function send(res: ServerResponse, reply: Reply): void {
  const raw = typeof reply.body === 'string' || Buffer.isBuffer(reply.body);
  const body = raw ? (reply.body as string | Buffer) : JSON.stringify(reply.body);
  const headers: Record<string, string> = {
    'content-type': raw ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...reply.headers,
  };
  res.writeHead(reply.status, headers);
  res.end(body);
}

/** One REST route: a method, a pattern on the path, and a handler given the decoded groups. */
export type Route<C> = [
  method: string,
  pattern: RegExp,
  handler: (ctx: C, groups: string[]) => Promise<Reply>,
];

/** First route whose method and pattern match, or undefined. Groups are URL-decoded. */
export async function dispatch<C>(
  routes: Route<C>[],
  ctx: C,
  method: string,
  path: string,
): Promise<Reply | undefined> {
  for (const [m, pattern, handler] of routes) {
    const match = m === method ? pattern.exec(path) : null;
    if (match)
      return handler(
        ctx,
        match.slice(1).map((g) => decodeURIComponent(g ?? '')),
      );
  }
  return undefined;
}
