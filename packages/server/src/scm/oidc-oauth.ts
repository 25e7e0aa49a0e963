// Sign-in with any OpenID Connect provider (Keycloak, Okta, Entra ID, Dex…) through openid-client:
// the issuer's discovery document (kept a while), the code flow with state, PKCE and a nonce, and
// the account taken from the ID token once validated (signature by the issuer's JWKS, iss, aud,
// exp, nonce).
import { AppError, isAppError } from '@atelier/protocol';
import * as client from 'openid-client';
import { z } from 'zod';
import { expiresAt, oauthError } from './http.js';
import type { OAuthFlavor, ProviderAccount } from './oauth.js';
import type { AuthProvider } from './providers.js';

/** How long a discovery document is trusted before it is fetched again. */
export const DISCOVERY_TTL_MS = 60 * 60_000;
const TIMEOUT_SECONDS = 15;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

const idTokenClaims = z.object({
  sub: z.string().min(1),
  preferred_username: z.string().nullish(),
  email: z.string().nullish(),
  // some providers send the strings "true" and "false"
  email_verified: z.union([z.boolean(), z.enum(['true', 'false'])]).nullish(),
  name: z.string().nullish(),
});

/** What discovery found wrong when the issuer the provider names is not the configured one. */
const issuerMismatch = z.object({ attribute: z.literal('issuer'), body: z.object({ issuer: z.string() }) });

/** The issuer as a URL: https, or http on this machine's loopback (a local test provider). */
function issuerOf(provider: AuthProvider): URL {
  const url = provider.issuer ? URL.parse(provider.issuer) : null;
  if (!url) {
    throw new AppError(
      'failed_precondition',
      `the OIDC provider ${provider.id} has no valid issuer URL (${provider.issuer ?? 'none'}): set its oauth.issuer, e.g. https://keycloak.example.com/realms/dev`,
    );
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname))) return url;
  throw new AppError(
    'failed_precondition',
    `the OIDC provider ${provider.id} has the issuer ${provider.issuer}: use its https URL (http is only for a provider on this machine's loopback)`,
  );
}

const wellKnown = (issuer: URL) => `${issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`;

/** openid-client's message with what caused it: a status, a refused connection, a claim. */
function detail(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause: unknown = e.cause;
  if (cause instanceof Response) return `${e.message} (HTTP ${cause.status})`;
  if (cause instanceof Error) return `${e.message}: ${cause.message}`;
  const mismatch = issuerMismatch.safeParse(cause);
  if (mismatch.success) return `${e.message}: the provider names itself ${mismatch.data.body.issuer}`;
  return e.message;
}

/**
 * client_secret_basic, the default (OpenID Connect Discovery §3), unless the provider offers only
 * client_secret_post; decided when the token endpoint is called, with the discovered metadata.
 */
function clientAuth(secret: string): client.ClientAuth {
  return (as, metadata, body, headers) => {
    const offered = as.token_endpoint_auth_methods_supported;
    const post =
      offered && !offered.includes('client_secret_basic') && offered.includes('client_secret_post');
    (post ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret))(as, metadata, body, headers);
  };
}

async function discover(provider: AuthProvider): Promise<client.Configuration> {
  const issuer = issuerOf(provider);
  try {
    return await client.discovery(
      issuer,
      provider.clientId,
      provider.clientSecret,
      clientAuth(provider.clientSecret),
      {
        timeout: TIMEOUT_SECONDS,
        execute: [
          // the ID token's signature is checked against the issuer's JWKS, not only trusted over TLS
          client.enableNonRepudiationChecks,
          ...(issuer.protocol === 'http:' ? [client.allowInsecureRequests] : []),
        ],
      },
    );
  } catch (e) {
    throw new AppError(
      'unavailable',
      `cannot discover the OIDC provider ${provider.id} at ${wellKnown(issuer)}: ${detail(e)} — check that oauth.issuer is the issuer URL the provider names (exactly, e.g. https://keycloak.example.com/realms/dev) and that Atelier can reach it`,
      undefined,
      { cause: e },
    );
  }
}

/** The account an ID token names; its e-mail address only if the provider does not call it unverified. */
function accountOf(provider: AuthProvider, claims: unknown): ProviderAccount {
  const parsed = idTokenClaims.safeParse(claims);
  if (!parsed.success) {
    throw new AppError(
      'permission_denied',
      `${provider.id} sent an ID token without a usable subject (sub) — ask its administrator to check the client's claims`,
    );
  }
  const c = parsed.data;
  const verified = c.email_verified !== false && c.email_verified !== 'false';
  const email = verified && c.email?.includes('@') ? c.email : null;
  // Entra ID's preferred_username is an e-mail-like UPN: its local part makes the better user name
  const login = (c.preferred_username || email || c.sub).split('@')[0] || c.sub;
  return { subject: c.sub, login, email, name: c.name ?? null };
}

/** Any failure of the code exchange as a refusal that says what was wrong (never a 500). */
function refusal(provider: AuthProvider, e: unknown): AppError {
  if (isAppError(e)) return e;
  if (e instanceof client.ResponseBodyError) return oauthError(provider, e.error, e.error_description);
  if (e instanceof client.ClientError) {
    return new AppError(
      'permission_denied',
      `${provider.id} sent an answer or ID token that Atelier does not accept (${detail(e)}) — sign in again; if it keeps happening, check that oauth.clientId is the client registered at ${provider.issuer}`,
      undefined,
      { cause: e },
    );
  }
  return new AppError(
    'unavailable',
    `cannot reach the OIDC provider ${provider.id} at ${provider.issuer}: ${detail(e)}`,
    undefined,
    { cause: e },
  );
}

/** An OpenID Connect flavor; `now` and `ttlMs` decide when a discovery document is fetched again. */
export function oidcFlavor(options: { now?: () => number; ttlMs?: number } = {}): OAuthFlavor {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DISCOVERY_TTL_MS;
  const cache = new Map<string, { key: string; at: number; config: Promise<client.Configuration> }>();

  /** The provider's discovered configuration; a failed discovery is not kept. */
  function configOf(provider: AuthProvider): Promise<client.Configuration> {
    // a provider edited (issuer, client) is discovered anew
    const key = JSON.stringify([provider.issuer, provider.clientId, provider.clientSecret]);
    const kept = cache.get(provider.id);
    if (kept && kept.key === key && now() - kept.at < ttlMs) return kept.config;
    const config = discover(provider);
    cache.set(provider.id, { key, at: now(), config });
    config.catch(() => {
      // the caller gets this error; here the entry only goes, so that the next sign-in tries again
      if (cache.get(provider.id)?.config === config) cache.delete(provider.id);
    });
    return config;
  }

  return {
    scopes: () => ['openid', 'profile', 'email'],
    async authorizeUrl(provider, params) {
      const config = await configOf(provider);
      return client.buildAuthorizationUrl(config, {
        redirect_uri: provider.callbackUrl,
        scope: params.scopes.join(' '),
        state: params.state,
        nonce: params.nonce,
        code_challenge: params.challenge,
        code_challenge_method: 'S256',
      }).href;
    },
    async exchange(provider, code, verifier, nonce) {
      const config = await configOf(provider);
      // The state was checked already (the flow was found by it), so only the code goes on. The
      // callback route does not pass an RFC 9207 `iss` on: the flow, found by its state, names the
      // provider the code is for, so its own issuer stands in where the provider sends one.
      const back = new URL(provider.callbackUrl);
      back.searchParams.set('code', code);
      const metadata = config.serverMetadata();
      if (metadata.authorization_response_iss_parameter_supported)
        back.searchParams.set('iss', metadata.issuer);
      try {
        const tokens = await client.authorizationCodeGrant(config, back, {
          pkceCodeVerifier: verifier,
          expectedNonce: nonce,
          expectedState: client.skipStateCheck,
          idTokenExpected: true,
        });
        return {
          accessToken: tokens.access_token,
          ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
          scopes: (tokens.scope ?? '').split(' ').filter(Boolean),
          ...expiresAt(tokens.expires_in),
          account: accountOf(provider, tokens.claims()),
        };
      } catch (e) {
        throw refusal(provider, e);
      }
    },
  };
}

export const oidcOAuth = oidcFlavor();
