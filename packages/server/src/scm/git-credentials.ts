// The owner's SCM token for git inside a workspace (git's credential helper asks on demand): only
// the workspace's own token gets it, only for its owner's linked accounts, never another user's;
// an expired token is refreshed first where the provider gives refresh tokens.
import type { Repositories, SecretBox } from '@atelier/db';
import { AppError, type GitCredentials, type UserId } from '@atelier/protocol';
import { flavorOf, type ProviderToken } from './oauth.js';
import type { AuthProvider, ProviderType } from './providers.js';

/** The user name each SCM expects beside a token over https. */
const TOKEN_USER: Record<ProviderType, string> = {
  GitHub: 'x-access-token',
  GitLab: 'oauth2',
  Bitbucket: 'x-token-auth',
  BitbucketServer: 'x-token-auth',
  AzureDevOps: 'oauth2',
  OIDC: 'oauth2',
};

export async function gitCredentials(
  deps: { repos: Repositories; secrets: SecretBox; clock: () => Date },
  providers: readonly AuthProvider[],
  ownerId: UserId,
  host: string,
): Promise<GitCredentials> {
  const provider = providers.find((p) => p.host === host.toLowerCase() && p.type !== 'OIDC');
  if (!provider) {
    throw new AppError(
      'not_found',
      `no SCM provider is configured for ${host}: git asks you for a password instead`,
    );
  }
  const identity = (await deps.repos.identities.listForUser(ownerId)).find(
    (i) => i.providerId === provider.id,
  );
  const row = identity && (await deps.repos.scmTokens.get(provider.id, identity.subject));
  if (!row) {
    throw new AppError(
      'failed_precondition',
      `the workspace's owner has no ${provider.id} account linked: sign in with ${provider.id} on the dashboard`,
    );
  }
  let token = JSON.parse(deps.secrets.open(row.tokenSealed)) as ProviderToken;
  // a minute of margin: git's request must not carry a token that expires on the way
  if (token.expiresAt && Date.parse(token.expiresAt) - 60_000 <= deps.clock().getTime()) {
    const flavor = flavorOf(provider);
    if (!token.refreshToken || !flavor.refresh) {
      throw new AppError(
        'failed_precondition',
        `the ${provider.id} token of the workspace's owner has expired: sign in with ${provider.id} again`,
      );
    }
    token = await flavor.refresh(provider, token.refreshToken);
    await deps.repos.scmTokens.put({
      providerId: provider.id,
      subject: row.subject,
      tokenSealed: deps.secrets.seal(JSON.stringify(token)),
      scopes: token.scopes.join(' '),
      expiresAt: token.expiresAt ?? null,
    });
  }
  return { username: TOKEN_USER[provider.type], password: token.accessToken };
}
