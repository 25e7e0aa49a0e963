// The owner's SCM token for git inside a workspace (git's credential helper asks on demand): only
// the workspace's own token gets it, only for its owner's linked accounts, never another user's;
// an expired token is refreshed first where the provider gives refresh tokens.
import type { Repositories, SecretBox } from '@atelier/db';
import { AppError, type Config, type GitCredentials, isAppError, type UserId } from '@atelier/protocol';
import { flavorOf, type ProviderToken } from './oauth.js';
import type { AuthProvider, ProviderType } from './providers.js';

/** The user name each SCM expects beside a token over https; null: the account's own user name. */
const TOKEN_USER: Record<ProviderType, string | null> = {
  GitHub: 'x-access-token',
  GitLab: 'oauth2',
  Bitbucket: 'x-token-auth',
  // Bitbucket Data Center has no token user name (x-token-auth is Bitbucket Cloud's): a user's token
  // stands in for the user's password, given with the user name in Basic auth as its HTTP access
  // tokens are ("use them in place of passwords for Git over HTTPS"); only a project's or
  // repository's token, which has no user, goes as Bearer. Its OAuth 2 tokens are the user's, so
  // git sends them with the account's user name — right whether Bitbucket checks the name or not.
  BitbucketServer: null,
  // Azure DevOps takes a Microsoft Entra access token as the password beside any user name (as
  // Git Credential Manager sends one, and as for personal access tokens); the name is not checked
  AzureDevOps: 'oauth2',
  OIDC: 'oauth2',
};

/**
 * The provider git means by `host`. A workspace reaches a provider on this machine's loopback at
 * the runtime's host address (workspace.runtime.docker.hostLoopback, e.g. 10.0.2.2:9000 for
 * 127.0.0.1:9000), as its clone URL was rewritten to.
 */
export function providerForHost(
  providers: readonly AuthProvider[],
  host: string,
  hostLoopback: string | undefined,
): AuthProvider | undefined {
  const wanted = host.toLowerCase();
  const scm = providers.filter((p) => p.type !== 'OIDC');
  const direct = scm.find((p) => p.host === wanted);
  if (direct || !hostLoopback || !wanted.startsWith(`${hostLoopback}:`)) return direct;
  const port = wanted.slice(hostLoopback.length + 1);
  return scm.find(
    (p) => /^(localhost|127(\.\d+){3})$/.test(p.host.split(':')[0] ?? '') && p.host.split(':')[1] === port,
  );
}

type CredentialDeps = { repos: Repositories; secrets: SecretBox; clock: () => Date; config?: Config };

/** The owner's token for the SCM at `host`, refreshed if it expired; refusals say what to do. */
export async function gitCredentials(
  deps: CredentialDeps,
  providers: readonly AuthProvider[],
  ownerId: UserId,
  host: string,
): Promise<GitCredentials> {
  return (await accountCredentials(deps, providers, ownerId, host)).credentials;
}

/**
 * The owner's token and login for the SCM at `host`, for work that goes on without one (reading
 * a public repository anonymously): undefined when no provider serves `host`, no account is linked
 * there, or its token expired for good.
 */
export async function linkedCredentials(
  deps: CredentialDeps,
  providers: readonly AuthProvider[],
  ownerId: UserId,
  host: string,
): Promise<{ credentials: GitCredentials; login: string } | undefined> {
  if (!providerForHost(providers, host, deps.config?.workspace.runtime.docker.hostLoopback)) return undefined;
  return accountCredentials(deps, providers, ownerId, host).catch((e: unknown) => {
    if (isAppError(e) && e.code === 'failed_precondition') return undefined;
    throw e;
  });
}

async function accountCredentials(
  deps: CredentialDeps,
  providers: readonly AuthProvider[],
  ownerId: UserId,
  host: string,
): Promise<{ credentials: GitCredentials; login: string }> {
  const provider = providerForHost(providers, host, deps.config?.workspace.runtime.docker.hostLoopback);
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
  if (!identity || !row) {
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
  return {
    credentials: { username: TOKEN_USER[provider.type] ?? identity.login, password: token.accessToken },
    login: identity.login,
  };
}
