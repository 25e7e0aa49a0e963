// Who is calling: session cookies for the dashboard, bearer access tokens for the CLI, and the
// CSRF guard for browser requests that change state.
import { hashToken, newSecretToken, type User } from '@atelier/db';
import { AppError, dashboardUrl, sessionCookieName } from '@atelier/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, Caller, Deps } from './app-env.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Workspace tokens (workspace-access.ts of ws-manager) start with this. */
const WORKSPACE_TOKEN_PREFIX = 'atw_';
const WS = '/api/v1/workspaces/([^/]+)';
/** What a workspace token may call; the first group, when present, must be its own workspace id. */
const WORKSPACE_TOKEN_ROUTES: readonly [string, RegExp][] = [
  ['GET', new RegExp(`^${WS}$`)],
  ['POST', new RegExp(`^${WS}/(?:heartbeat|stop)$`)],
  ['GET', new RegExp(`^${WS}/(?:timeout|ports|env-vars|git-credentials)$`)],
  ['PUT', new RegExp(`^${WS}/timeout$`)],
  ['PUT', new RegExp(`^${WS}/ports/\\d+$`)],
  ['GET', /^\/api\/v1\/user\/env-vars$/],
  ['PUT', /^\/api\/v1\/user\/env-vars$/],
  ['DELETE', /^\/api\/v1\/user\/env-vars\/[^/]+$/],
  ['GET', /^\/api\/v1\/me$/],
];
/** last-used times are written at most this often per credential */
const TOUCH_EVERY_MS = 60_000;
/** browsers cap Max-Age at 400 days */
const MAX_COOKIE_AGE_S = 400 * 24 * 3600;

function bearerOf(c: Context<AppEnv>): string | undefined {
  const header = c.req.header('authorization');
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

export class Authenticator {
  private readonly touched = new Map<string, number>();
  readonly cookieName: string;

  constructor(private readonly deps: Deps) {
    this.cookieName = sessionCookieName(deps.urls.scheme);
  }

  /** The caller of this request, or null when it carries no credential (or a stale session cookie). */
  async caller(c: Context<AppEnv>): Promise<Caller | null> {
    const cached = c.get('caller');
    if (cached !== undefined) return cached;
    const caller = await this.resolve(c);
    c.set('caller', caller);
    return caller;
  }

  /** The signed-in user; 401 without a credential, 403 for a blocked user. */
  async requireUser(c: Context<AppEnv>): Promise<User> {
    const caller = await this.caller(c);
    if (!caller) {
      throw new AppError(
        'unauthenticated',
        'sign in first: log in on the dashboard, or send "Authorization: Bearer <access token>"',
      );
    }
    return caller.user;
  }

  private async resolve(c: Context<AppEnv>): Promise<Caller | null> {
    const { repos } = this.deps;
    const bearer = bearerOf(c);
    if (bearer?.startsWith(WORKSPACE_TOKEN_PREFIX)) return this.workspaceCaller(bearer);
    if (bearer !== undefined) {
      const found = await repos.tokens.findValid(hashToken(bearer));
      if (!found) {
        throw new AppError(
          'unauthenticated',
          'the access token is unknown, expired or deleted: create a new one',
        );
      }
      refuseBlocked(found.user);
      this.touchOnce(`t:${found.token.id}`, () => repos.tokens.touch(found.token.id));
      return { user: found.user, via: 'token' };
    }
    const session = getCookie(c, this.cookieName);
    if (!session) return null;
    const sessionHash = hashToken(session);
    const found = await repos.sessions.findValid(sessionHash);
    if (!found) return null;
    refuseBlocked(found.user);
    this.touchOnce(`s:${sessionHash}`, () => repos.sessions.touch(sessionHash));
    return { user: found.user, via: 'session', sessionHash };
  }

  /** A workspace's own token (gp, the supervisor): the owner, limited to that workspace's routes. */
  private async workspaceCaller(bearer: string): Promise<Caller> {
    const { repos } = this.deps;
    const instance = await repos.instances.findByWorkspaceToken(hashToken(bearer));
    const workspace = instance && (await repos.workspaces.get(instance.workspaceId));
    const user = workspace && (await repos.users.get(workspace.ownerId));
    if (!instance || instance.phase === 'stopped' || !workspace || !user) {
      throw new AppError(
        'unauthenticated',
        'the workspace token is no longer valid: its workspace stopped or was deleted',
      );
    }
    refuseBlocked(user);
    return { user, via: 'workspace', workspace: { workspaceId: workspace.id, instanceId: instance.id } };
  }

  /**
   * A workspace token opens only what gp and the supervisor need, and only for its own workspace:
   * reading it, heartbeats, time-out, stop, ports, and the owner's variables.
   */
  workspaceScopeGuard(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (!bearerOf(c)?.startsWith(WORKSPACE_TOKEN_PREFIX)) return next();
      const caller = await this.caller(c);
      const scope = caller?.workspace;
      const allowed = WORKSPACE_TOKEN_ROUTES.some(([method, pattern]) => {
        if (method !== c.req.method) return false;
        const match = pattern.exec(c.req.path);
        return match !== null && (match[1] === undefined || match[1] === scope?.workspaceId);
      });
      if (!allowed) {
        throw new AppError(
          'permission_denied',
          `a workspace token may not ${c.req.method} ${c.req.path}: it only reaches its own workspace's heartbeat, time-out, stop, ports and the owner's variables`,
        );
      }
      return next();
    };
  }

  private touchOnce(key: string, touch: () => Promise<unknown>): void {
    const now = this.deps.clock().getTime();
    if (now - (this.touched.get(key) ?? 0) < TOUCH_EVERY_MS) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(key, now);
    touch().catch((err: unknown) => {
      // Only the last-used time is lost; the request itself is authorised already.
      this.touched.delete(key);
      this.deps.logger.warn({ err }, 'could not record when a credential was last used');
    });
  }

  /** Creates a session for the user and sets its cookie. */
  async startSession(c: Context<AppEnv>, user: User): Promise<void> {
    const token = newSecretToken('ses_');
    const maxAgeMs = this.deps.config.auth.sessionMaxAge;
    const expiresAt = new Date(this.deps.clock().getTime() + maxAgeMs);
    await this.deps.repos.sessions.create({
      tokenHash: hashToken(token),
      userId: user.id,
      expiresAt: expiresAt.toISOString(),
    });
    const secure = this.deps.urls.scheme === 'https';
    setCookie(c, this.cookieName, token, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: Math.min(MAX_COOKIE_AGE_S, Math.floor(maxAgeMs / 1000)),
      secure,
    });
    c.header('Cache-Control', 'no-store');
  }

  /** Deletes the caller's session (if any) and clears the cookie. */
  async endSession(c: Context<AppEnv>): Promise<void> {
    const session = getCookie(c, this.cookieName);
    if (session) await this.deps.repos.sessions.delete(hashToken(session));
    deleteCookie(c, this.cookieName, {
      path: '/',
      secure: this.deps.urls.scheme === 'https',
      httpOnly: true,
      sameSite: 'Lax',
    });
  }

  /**
   * Browser requests (no bearer token) that change state must come from the dashboard's origin
   * and carry JSON, which a cross-site form cannot send.
   */
  csrfGuard(): MiddlewareHandler<AppEnv> {
    const expected = dashboardUrl(this.deps.urls);
    return async (c, next) => {
      if (SAFE_METHODS.has(c.req.method) || bearerOf(c) !== undefined) return next();
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== expected) {
        throw new AppError(
          'permission_denied',
          `cross-site request refused: origin ${origin} is not ${expected}`,
        );
      }
      const type = c.req.header('content-type');
      const length = Number(c.req.header('content-length') ?? '0');
      const hasBody = type !== undefined || length > 0 || c.req.header('transfer-encoding') !== undefined;
      if (hasBody && !/^application\/json\s*(;|$)/i.test(type ?? '')) {
        throw new AppError(
          'permission_denied',
          'request bodies must be sent with Content-Type: application/json',
        );
      }
      return next();
    };
  }
}

function refuseBlocked(user: User): void {
  if (user.blocked) {
    throw new AppError(
      'permission_denied',
      `user ${user.name} is blocked: ask an administrator to unblock it`,
    );
  }
}
