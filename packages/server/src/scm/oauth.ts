// OAuth 2 authorization-code flow with PKCE (RFC 7636) where the provider has it, one flavor per
// provider type: the authorize URL, the code exchange, the refresh, and whose account a token is.
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@atelier/protocol';
import { bitbucketOAuth } from './bitbucket-oauth.js';
import { githubOAuth } from './github-oauth.js';
import { gitlabOAuth } from './gitlab-oauth.js';
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

export interface OAuthFlavor {
  /** what a sign-in asks for; `repositories` adds what private repositories need */
  scopes(repositories: boolean): string[];
  authorizeUrl(
    provider: AuthProvider,
    params: { state: string; challenge: string; scopes: string[] },
  ): string;
  exchange(provider: AuthProvider, code: string, verifier: string): Promise<ProviderToken>;
  /** absent: the provider's tokens do not expire (GitHub OAuth apps) */
  refresh?(provider: AuthProvider, refreshToken: string): Promise<ProviderToken>;
  account(provider: AuthProvider, accessToken: string): Promise<ProviderAccount>;
}

/** A random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function flavorOf(provider: AuthProvider): OAuthFlavor {
  switch (provider.type) {
    case 'GitHub':
      return githubOAuth;
    case 'GitLab':
      return gitlabOAuth;
    case 'Bitbucket':
      return bitbucketOAuth;
    case 'BitbucketServer':
    case 'AzureDevOps':
    case 'OIDC':
      throw new AppError(
        'failed_precondition',
        `sign-in with ${provider.type} (${provider.id}) is not available in this version of Atelier`,
      );
  }
}
