// OAuth 2.0 authorization server shared by the fakes: sign-in page, single-use codes, PKCE, tokens, refresh.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FakeScmApp, FakeScmUser } from './repos.js';

/** Why a token request was refused; each fake maps it to its provider's documented error. */
export type OAuthFailure =
  | 'invalid_client'
  | 'redirect_uri_mismatch'
  | 'invalid_code'
  | 'invalid_verifier'
  | 'invalid_refresh_token'
  | 'unsupported_grant_type';

export interface TokenGrant {
  accessToken: string;
  refreshToken?: string;
  /** seconds until the access token expires; absent: never */
  expiresIn?: number;
  scopes: string[];
  login: string;
}

export type TokenResult = { ok: true; grant: TokenGrant } | { ok: false; failure: OAuthFailure };

export interface AuthorizeParams {
  clientId: string;
  /** the redirect URI to send the browser to (already checked against the app) */
  redirectUri: string;
  /** whether the client named the redirect URI, so the token request must repeat it */
  redirectUriGiven: boolean;
  scopes: string[];
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

interface CodeRecord {
  params: AuthorizeParams;
  login: string;
  expiresAt: number;
}

interface AccessRecord {
  login: string;
  scopes: string[];
  expiresAt?: number;
}

const CODE_LIFETIME_MS = 10 * 60 * 1000;

export interface OAuthStoreOptions {
  apps: FakeScmApp[];
  tokenLifetimeSeconds?: number;
  /** GitLab and Bitbucket always hand out refresh tokens; GitHub only with expiring tokens */
  alwaysRefreshToken: boolean;
  /** prefix of minted tokens, as the real ones have (`gho_`, `glpat-`…) */
  tokenPrefix: string;
  now?: () => number;
}

export class OAuthStore {
  private readonly codes = new Map<string, CodeRecord>();
  private readonly access = new Map<string, AccessRecord>();
  private readonly refresh = new Map<string, { clientId: string; login: string; scopes: string[] }>();
  private readonly now: () => number;

  constructor(private readonly opts: OAuthStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  app(clientId: string): FakeScmApp | undefined {
    return this.opts.apps.find((a) => a.clientId === clientId);
  }

  /** The app's client secret matches (constant time). */
  authenticateClient(clientId: string, clientSecret: string): boolean {
    const app = this.app(clientId);
    if (!app) return false;
    const a = Buffer.from(app.clientSecret);
    const b = Buffer.from(clientSecret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  issueCode(params: AuthorizeParams, login: string): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { params, login, expiresAt: this.now() + CODE_LIFETIME_MS });
    return code;
  }

  /** `grant_type=authorization_code`: the code is spent by the first attempt, whether it succeeds or not. */
  redeemCode(req: {
    clientId: string;
    clientSecret: string;
    code: string;
    redirectUri?: string;
    codeVerifier?: string;
  }): TokenResult {
    if (!this.authenticateClient(req.clientId, req.clientSecret))
      return { ok: false, failure: 'invalid_client' };
    const record = this.codes.get(req.code);
    this.codes.delete(req.code);
    if (!record || record.params.clientId !== req.clientId || record.expiresAt <= this.now()) {
      return { ok: false, failure: 'invalid_code' };
    }
    const { params } = record;
    const redirectOk = req.redirectUri ? req.redirectUri === params.redirectUri : !params.redirectUriGiven;
    if (!redirectOk) return { ok: false, failure: 'redirect_uri_mismatch' };
    if (!pkceOk(params, req.codeVerifier)) return { ok: false, failure: 'invalid_verifier' };
    return { ok: true, grant: this.mint(record.login, params.scopes, req.clientId) };
  }

  /** `grant_type=refresh_token`: rotates the refresh token, as GitLab and GitHub Apps do. */
  redeemRefreshToken(req: { clientId: string; clientSecret: string; refreshToken: string }): TokenResult {
    if (!this.authenticateClient(req.clientId, req.clientSecret))
      return { ok: false, failure: 'invalid_client' };
    const record = this.refresh.get(req.refreshToken);
    if (!record || record.clientId !== req.clientId) return { ok: false, failure: 'invalid_refresh_token' };
    this.refresh.delete(req.refreshToken);
    return { ok: true, grant: this.mint(record.login, record.scopes, req.clientId) };
  }

  mint(login: string, scopes: string[], clientId = ''): TokenGrant {
    const accessToken = `${this.opts.tokenPrefix}${randomBytes(18).toString('hex')}`;
    const lifetime = this.opts.tokenLifetimeSeconds;
    this.access.set(accessToken, {
      login,
      scopes,
      ...(lifetime !== undefined && { expiresAt: this.now() + lifetime * 1000 }),
    });
    const grant: TokenGrant = { accessToken, scopes, login };
    if (lifetime !== undefined) grant.expiresIn = lifetime;
    if (lifetime !== undefined || this.opts.alwaysRefreshToken) {
      grant.refreshToken = `${this.opts.tokenPrefix}r${randomBytes(24).toString('hex')}`;
      this.refresh.set(grant.refreshToken, { clientId, login, scopes });
    }
    return grant;
  }

  /** The user and scopes behind an access token; undefined when unknown or expired. */
  lookup(accessToken: string): { login: string; scopes: string[] } | undefined {
    const record = this.access.get(accessToken);
    if (!record || (record.expiresAt !== undefined && record.expiresAt <= this.now())) return undefined;
    return { login: record.login, scopes: record.scopes };
  }
}

function pkceOk(params: AuthorizeParams, verifier: string | undefined): boolean {
  if (!params.codeChallenge) return verifier === undefined || verifier === '';
  if (!verifier) return false;
  const method = params.codeChallengeMethod ?? 'plain';
  if (method === 'plain') return verifier === params.codeChallenge;
  if (method === 'S256')
    return createHash('sha256').update(verifier).digest('base64url') === params.codeChallenge;
  return false;
}

/** Validated authorize request, or the reason to show a 400 page (never a redirect to an unknown URI). */
export function parseAuthorize(
  store: OAuthStore,
  q: URLSearchParams,
  defaultScopes: string[],
): { ok: true; params: AuthorizeParams } | { ok: false; message: string } {
  const clientId = q.get('client_id') ?? '';
  const app = store.app(clientId);
  if (!app) return { ok: false, message: `unknown client_id ${JSON.stringify(clientId)}` };
  const given = q.get('redirect_uri');
  const redirectUri = given ?? app.redirectUris[0];
  if (!redirectUri || !app.redirectUris.includes(redirectUri)) {
    return {
      ok: false,
      message: `redirect_uri ${JSON.stringify(given)} is not registered for this application`,
    };
  }
  const method = q.get('code_challenge_method') ?? undefined;
  if (method && method !== 'S256' && method !== 'plain') {
    return { ok: false, message: `unsupported code_challenge_method ${JSON.stringify(method)}` };
  }
  const scope = q.get('scope');
  const params: AuthorizeParams = {
    clientId,
    redirectUri,
    redirectUriGiven: given !== null,
    scopes: scope === null ? defaultScopes : scope.split(/[\s,]+/).filter(Boolean),
  };
  const state = q.get('state');
  const challenge = q.get('code_challenge');
  if (state !== null) params.state = state;
  if (challenge) params.codeChallenge = challenge;
  if (challenge && method) params.codeChallengeMethod = method;
  return { ok: true, params };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sign-in form; it posts back to the same URL (query included) with the chosen login. */
export function signInPage(fakeName: string, appName: string, users: FakeScmUser[], error?: string): string {
  const withPassword = users.some((u) => u.password !== undefined);
  const options = users
    .map(
      (u) => `<option value="${escapeHtml(u.login)}">${escapeHtml(u.login)} (${escapeHtml(u.name)})</option>`,
    )
    .join('');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(fakeName)}: sign in</title></head>
<body>
<h1>${escapeHtml(fakeName)}: sign in to authorize ${escapeHtml(appName)}</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post">
<label>Login <select name="login">${options}</select></label>
${withPassword ? '<label>Password <input type="password" name="password"></label>' : ''}
<button type="submit">Authorize</button>
<button type="submit" name="deny" value="1">Cancel</button>
</form>
</body></html>
`;
}

export function errorPage(fakeName: string, message: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(fakeName)}: error</title></head>
<body><h1>${escapeHtml(fakeName)}: the application's request is invalid</h1><p>${escapeHtml(message)}</p></body></html>
`;
}

/** `redirect_uri` with `code` (or `error`) and `state` appended, keeping the URI's own query. */
export function redirectWith(params: AuthorizeParams, extra: Record<string, string>): string {
  const target = new URL(params.redirectUri);
  for (const [k, v] of Object.entries(extra)) target.searchParams.set(k, v);
  if (params.state !== undefined) target.searchParams.set('state', params.state);
  return target.toString();
}

/** A standard (RFC 6749) token request, given the client credentials from wherever the provider reads them. */
export function redeemTokenRequest(
  store: OAuthStore,
  fields: Record<string, string | undefined>,
  client: { clientId: string; clientSecret: string },
): { grantType: string; result: TokenResult } {
  const grantType = fields.grant_type ?? '';
  if (grantType === 'authorization_code') {
    const result = store.redeemCode({
      ...client,
      code: fields.code ?? '',
      ...(fields.redirect_uri && { redirectUri: fields.redirect_uri }),
      ...(fields.code_verifier && { codeVerifier: fields.code_verifier }),
    });
    return { grantType, result };
  }
  if (grantType === 'refresh_token') {
    return {
      grantType,
      result: store.redeemRefreshToken({ ...client, refreshToken: fields.refresh_token ?? '' }),
    };
  }
  return { grantType, result: { ok: false, failure: 'unsupported_grant_type' } };
}
