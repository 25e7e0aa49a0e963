// OAuth 2 authorization-code flow with PKCE (RFC 7636), per provider type: the authorize URL, the
// code exchange, and who the token belongs to. GitHub (and GitHub Enterprise) today.
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@atelier/protocol';
import { z } from 'zod';
import type { AuthProvider } from './providers.js';

export interface ProviderToken {
  accessToken: string;
  refreshToken?: string;
  /** as granted (may be fewer than asked) */
  scopes: string[];
  expiresAt?: string;
}

export interface ProviderAccount {
  /** the provider's stable id of the account */
  subject: string;
  login: string;
  email: string | null;
  name: string | null;
}

/** A random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Scopes a sign-in asks for; `repositories` adds what private repositories need. */
export function scopesFor(provider: AuthProvider, repositories: boolean): string[] {
  switch (provider.type) {
    case 'GitHub':
      return repositories ? ['read:user', 'user:email', 'repo'] : ['read:user', 'user:email'];
    default:
      throw unsupported(provider);
  }
}

export function authorizeUrl(
  provider: AuthProvider,
  params: { state: string; challenge: string; scopes: string[] },
): string {
  switch (provider.type) {
    case 'GitHub': {
      const url = new URL('/login/oauth/authorize', provider.webOrigin);
      url.search = new URLSearchParams({
        client_id: provider.clientId,
        redirect_uri: provider.callbackUrl,
        scope: params.scopes.join(' '),
        state: params.state,
        code_challenge: params.challenge,
        code_challenge_method: 'S256',
        allow_signup: 'false',
      }).toString();
      return url.toString();
    }
    default:
      throw unsupported(provider);
  }
}

const githubToken = z.union([
  z.object({
    access_token: z.string().min(1),
    scope: z.string().default(''),
    refresh_token: z.string().optional(),
    expires_in: z.number().optional(),
  }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);

export async function exchangeCode(
  provider: AuthProvider,
  code: string,
  verifier: string,
): Promise<ProviderToken> {
  switch (provider.type) {
    case 'GitHub': {
      const body = await postForm(provider, new URL('/login/oauth/access_token', provider.webOrigin), {
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
        code,
        redirect_uri: provider.callbackUrl,
        code_verifier: verifier,
      });
      const answer = githubToken.parse(body);
      if ('error' in answer) {
        throw new AppError(
          'permission_denied',
          `${provider.id} refused the sign-in (${answer.error}${answer.error_description ? `: ${answer.error_description}` : ''}) — start it again`,
        );
      }
      return {
        accessToken: answer.access_token,
        ...(answer.refresh_token ? { refreshToken: answer.refresh_token } : {}),
        scopes: answer.scope.split(/[ ,]+/).filter(Boolean),
        ...(answer.expires_in
          ? { expiresAt: new Date(Date.now() + answer.expires_in * 1000).toISOString() }
          : {}),
      };
    }
    default:
      throw unsupported(provider);
  }
}

const githubUser = z.object({
  id: z.number(),
  login: z.string(),
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
});
const githubEmails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

/** The account the token belongs to; the e-mail is the verified primary one. */
export async function accountOf(provider: AuthProvider, token: string): Promise<ProviderAccount> {
  switch (provider.type) {
    case 'GitHub': {
      const user = githubUser.parse(await getJson(provider, `${githubApi(provider)}/user`, token));
      const emails = githubEmails.safeParse(
        await getJson(provider, `${githubApi(provider)}/user/emails`, token),
      );
      const primary = emails.success ? emails.data.find((e) => e.primary && e.verified)?.email : undefined;
      return { subject: String(user.id), login: user.login, email: primary ?? null, name: user.name ?? null };
    }
    default:
      throw unsupported(provider);
  }
}

/** GitHub's REST API: api.github.com for github.com, <origin>/api/v3 for GitHub Enterprise. */
export function githubApi(provider: AuthProvider): string {
  return provider.host === 'github.com' ? 'https://api.github.com' : `${provider.webOrigin}/api/v3`;
}

function unsupported(provider: AuthProvider): AppError {
  return new AppError(
    'failed_precondition',
    `sign-in with ${provider.type} (${provider.id}) is not available in this version of Atelier`,
  );
}

async function postForm(provider: AuthProvider, url: URL, form: Record<string, string>): Promise<unknown> {
  const res = await reach(provider, url.toString(), {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return res.json();
}

async function getJson(provider: AuthProvider, url: string, token: string): Promise<unknown> {
  const res = await reach(provider, url, {
    headers: { accept: 'application/json', authorization: `Bearer ${token}` },
  });
  if (!res.ok) {
    throw new AppError('unavailable', `${provider.id} answered ${res.status} to ${new URL(url).pathname}`);
  }
  return res.json();
}

async function reach(provider: AuthProvider, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new AppError(
      'unavailable',
      `cannot reach ${provider.id} at ${new URL(url).origin}: ${e instanceof Error ? e.message : String(e)}`,
      undefined,
      { cause: e },
    );
  }
}
