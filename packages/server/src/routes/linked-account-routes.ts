// The signed-in user's accounts at the sign-in providers: each provider with the account linked to
// the user (what its token grants, never the token), and unlinking one unless it is the last way in.
import type { Identity, User } from '@atelier/db';
import { AppError, isAppError, type LinkedAccountDto } from '@atelier/protocol';
import type { Context, Hono } from 'hono';
import type { AppEnv, Deps } from '../app-env.js';
import { flavorOf, type OAuthFlavor } from '../scm/oauth.js';
import type { AuthProvider } from '../scm/providers.js';
import { iso } from '../workspaces/dto.js';
import { NO_STORE, type RouteContext } from './context.js';

/**
 * What a sign-in adds to reach private repositories (GitHub: repo); empty where the provider asks
 * for the same either way (Azure DevOps: the app registration's permissions); null where Atelier has
 * no sign-in for the type yet, so there is nothing to grant.
 */
function repositoryScopes(provider: AuthProvider): string[] | null {
  let flavor: OAuthFlavor;
  try {
    flavor = flavorOf(provider);
  } catch (e) {
    // flavorOf names the types without a sign-in (failed_precondition): such an account grants nothing
    if (!isAppError(e)) throw e;
    return null;
  }
  const base = new Set(flavor.scopes(false));
  return flavor.scopes(true).filter((s) => !base.has(s));
}

/** The most recently used of the user's accounts at one provider (a user may link several). */
function latest(identities: readonly Identity[], providerId: string): Identity | undefined {
  return identities
    .filter((i) => i.providerId === providerId)
    .sort((a, b) => iso(b.lastSigninAt).localeCompare(iso(a.lastSigninAt)))[0];
}

async function accountOf(deps: Deps, provider: AuthProvider, identity: Identity | undefined) {
  if (!identity) return null;
  // an OpenID Connect provider only signs in: no token is kept, it opens no repository
  const token =
    provider.type === 'OIDC' ? undefined : await deps.repos.scmTokens.get(provider.id, identity.subject);
  const scopes = token ? token.scopes.split(' ').filter(Boolean) : [];
  const needed = provider.type === 'OIDC' ? null : repositoryScopes(provider);
  return {
    login: identity.login,
    email: identity.email,
    scopes,
    privateRepositories: token !== undefined && needed?.every((s) => scopes.includes(s)) === true,
    linkedAt: iso(identity.createdAt),
    lastSigninAt: iso(identity.lastSigninAt),
  };
}

/** Why unlinking these accounts would lock the user out, or null when another way in remains. */
function lockOut(
  deps: Deps,
  user: User,
  providerId: string,
  others: readonly Identity[],
  providers: readonly AuthProvider[],
): string | null {
  // administrators keep their password when local accounts are off (see the login route)
  const password = user.passwordHash !== null && (deps.config.auth.localAccounts || user.admin);
  const otherWays = others.filter((i) => providers.some((p) => p.id === i.providerId));
  if (password || otherWays.length > 0) return null;
  const why =
    user.passwordHash === null
      ? 'you have no password and no other linked account'
      : 'sign-in with a password is turned off here and you have no other linked account';
  return providers.some((p) => p.id !== providerId)
    ? `${why}: link an account at another provider first, then unlink this one`
    : `${why}, and no other provider is configured here: keep this account linked`;
}

export function linkedAccountRoutes(app: Hono<AppEnv>, { deps, auth }: RouteContext): void {
  const { repos, logger } = deps;

  /** The user behind a session or an access token; a workspace's token never manages accounts. */
  const holder = async (c: Context<AppEnv>): Promise<User> => {
    const user = await auth.requireUser(c);
    if ((await auth.caller(c))?.via === 'workspace') {
      throw new AppError(
        'permission_denied',
        'linked accounts are managed on the dashboard or with an access token, not with a workspace token',
      );
    }
    return user;
  };

  app.get('/api/v1/me/accounts', async (c) => {
    const user = await holder(c);
    const identities = await repos.identities.listForUser(user.id);
    const list: LinkedAccountDto[] = [];
    for (const provider of await deps.authProviders.list()) {
      const login = `/auth/${encodeURIComponent(provider.id)}/login?link=1`;
      list.push({
        providerId: provider.id,
        type: provider.type,
        host: provider.host,
        linked: await accountOf(deps, provider, latest(identities, provider.id)),
        linkUrl: login,
        grantUrl: provider.type === 'OIDC' ? null : `${login}&repositories=1`,
      });
    }
    return c.json(list, 200, NO_STORE);
  });

  app.delete('/api/v1/me/accounts/:providerId', async (c) => {
    const user = await holder(c);
    const providerId = c.req.param('providerId');
    const identities = await repos.identities.listForUser(user.id);
    const unlinking = identities.filter((i) => i.providerId === providerId);
    if (unlinking.length === 0) {
      throw new AppError(
        'not_found',
        `no ${providerId} account is linked to you: there is nothing to unlink`,
      );
    }
    const others = identities.filter((i) => i.providerId !== providerId);
    const refusal = lockOut(deps, user, providerId, others, await deps.authProviders.list());
    if (refusal) {
      throw new AppError(
        'conflict',
        `unlinking ${providerId} would leave you no way to sign in — ${refusal}`,
      );
    }
    for (const identity of unlinking) {
      await repos.identities.unlink(user.id, identity.providerId, identity.subject);
    }
    logger.info(
      { userId: user.id, provider: providerId, logins: unlinking.map((i) => i.login) },
      'account unlinked; its SCM token deleted',
    );
    return c.body(null, 204);
  });
}
