// OAuth 2 authorization-code flow with PKCE (RFC 7636) where the provider has it, one flavor per
// provider type: the authorize URL, the code exchange, the refresh, and whose account a token is
// (OpenID Connect: the account its validated ID token names).
import { createHash, randomBytes } from 'node:crypto';
import { azureDevOpsOAuth } from './azure-devops-oauth.js';
import { bitbucketOAuth } from './bitbucket-oauth.js';
import { bitbucketServerOAuth } from './bitbucket-server-oauth.js';
import { githubOAuth } from './github-oauth.js';
import { gitlabOAuth } from './gitlab-oauth.js';
import { oidcOAuth } from './oidc-oauth.js';
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

/** A code exchanged: the token, and for OpenID Connect the account its validated ID token names. */
export type Exchanged = ProviderToken & { account?: ProviderAccount };

export interface OAuthFlavor {
  /** what a sign-in asks for; `repositories` adds what private repositories need */
  scopes(repositories: boolean): string[];
  /** a promise where the provider's endpoints are discovered first (OpenID Connect) */
  authorizeUrl(
    provider: AuthProvider,
    params: { state: string; challenge: string; nonce: string; scopes: string[] },
  ): string | Promise<string>;
  /** `nonce`: the one the authorize URL carried, which an ID token must name (OpenID Connect) */
  exchange(provider: AuthProvider, code: string, verifier: string, nonce: string): Promise<Exchanged>;
  /** absent: the provider's tokens do not expire (GitHub OAuth apps) */
  refresh?(provider: AuthProvider, refreshToken: string): Promise<ProviderToken>;
  /** absent: the exchange names the account (OpenID Connect's ID token) */
  account?(provider: AuthProvider, accessToken: string): Promise<ProviderAccount>;
}

/** A random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * A flow's OpenID Connect nonce, derived from its PKCE verifier: the flow's row keeps the verifier
 * sealed, so the callback finds the nonce again without a column (or migration) of its own. It is as
 * unguessable and single-use as the verifier; the prefix keeps it from being the challenge.
 */
export function nonceOf(verifier: string): string {
  return createHash('sha256').update(`oidc-nonce:${verifier}`).digest('base64url');
}

export function flavorOf(provider: AuthProvider): OAuthFlavor {
  switch (provider.type) {
    case 'GitHub':
      return githubOAuth;
    case 'GitLab':
      return gitlabOAuth;
    case 'Bitbucket':
      return bitbucketOAuth;
    case 'OIDC':
      return oidcOAuth;
    case 'AzureDevOps':
      return azureDevOpsOAuth;
    case 'BitbucketServer':
      return bitbucketServerOAuth;
  }
}
