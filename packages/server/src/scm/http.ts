// Calls to a provider's OAuth and REST endpoints, with its name in every error and a time limit.
import { AppError } from '@atelier/protocol';
import { z } from 'zod';
import type { ProviderToken } from './oauth.js';
import type { AuthProvider } from './providers.js';

export async function reach(provider: AuthProvider, url: string, init: RequestInit = {}): Promise<Response> {
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

/** A form POST (OAuth token endpoints); the answer's JSON whatever its status (errors come as JSON). */
export async function postForm(
  provider: AuthProvider,
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const res = await reach(provider, url, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  try {
    return await res.json();
  } catch {
    throw new AppError(
      'unavailable',
      `${provider.id} answered ${res.status} without JSON at ${new URL(url).pathname}`,
    );
  }
}

/** A GET with the user's token; a non-2xx answer is an error naming the provider and the path. */
export async function getJson(provider: AuthProvider, url: string, token: string): Promise<unknown> {
  const res = await reach(provider, url, {
    headers: { accept: 'application/json', authorization: `Bearer ${token}` },
  });
  if (!res.ok) {
    throw new AppError('unavailable', `${provider.id} answered ${res.status} to ${new URL(url).pathname}`);
  }
  return res.json();
}

/** The token endpoints' common error body (RFC 6749 §5.2), as GitHub, GitLab and Bitbucket send it. */
export function oauthError(provider: AuthProvider, error: string, description: string | undefined): AppError {
  return new AppError(
    'permission_denied',
    `${provider.id} refused the sign-in (${error}${description ? `: ${description}` : ''}) — start it again`,
  );
}

export const expiresAt = (seconds: number | undefined) =>
  seconds ? { expiresAt: new Date(Date.now() + seconds * 1000).toISOString() } : {};

/**
 * A token endpoint's answer (RFC 6749 §5.1, or §5.2 for an error) as ProviderToken. GitHub and
 * GitLab name the granted scopes `scope`, Bitbucket `scopes`.
 */
export function providerToken(
  provider: AuthProvider,
  body: unknown,
  scopeField: 'scope' | 'scopes',
): ProviderToken {
  const answer = z
    .union([
      z.object({
        access_token: z.string().min(1),
        scope: z.string().optional(),
        scopes: z.string().optional(),
        refresh_token: z.string().optional(),
        expires_in: z.number().optional(),
      }),
      z.object({ error: z.string(), error_description: z.string().optional() }),
    ])
    .parse(body);
  if ('error' in answer) throw oauthError(provider, answer.error, answer.error_description);
  const granted = (answer as Record<string, unknown>)[scopeField];
  return {
    accessToken: answer.access_token,
    ...(answer.refresh_token ? { refreshToken: answer.refresh_token } : {}),
    scopes: String(granted ?? '')
      .split(/[ ,]+/)
      .filter(Boolean),
    ...expiresAt(answer.expires_in),
  };
}
