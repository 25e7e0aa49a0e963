// Signing in with a provider: the start (a one-use flow with state, PKCE and for OpenID Connect a
// nonce, then the provider's page) and the callback (the flow taken once, the code exchanged, the
// account linked to a user — new, existing or the signed-in one — and an SCM's token sealed).
import { createHash, randomBytes } from 'node:crypto';
import type { User } from '@atelier/db';
import { hashToken } from '@atelier/db';
import { AppError, type UserId } from '@atelier/protocol';
import type { Deps } from '../app-env.js';
import { flavorOf, nonceOf, type ProviderAccount, pkcePair } from './oauth.js';
import { type AuthProvider, providerById } from './providers.js';

const FLOW_TTL_MS = 10 * 60_000;

/** A path of this site only: no scheme, no "//host", no backslash tricks. */
export function safeReturnTo(value: string | undefined): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  // no control characters (a header split, a hidden newline)
  for (const ch of value) if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) return '/';
  return value;
}

export class SignIn {
  constructor(
    private readonly deps: Deps,
    /** the providers as they are now (administrators add and remove them while Atelier runs) */
    private readonly providers: () => Promise<readonly AuthProvider[]>,
  ) {}

  /** Where to send the browser: the provider's page, with a fresh state and PKCE challenge. */
  async start(input: {
    providerId: string;
    returnTo: string | undefined;
    /** linking an identity (or raising scopes) for the signed-in user */
    user: User | null;
    repositories: boolean;
  }): Promise<string> {
    const provider = providerById(await this.providers(), input.providerId);
    const state = randomBytes(24).toString('base64url');
    const { verifier, challenge } = pkcePair();
    const flavor = flavorOf(provider);
    const scopes = flavor.scopes(input.repositories);
    // first: an OpenID Connect provider that cannot be discovered leaves no flow behind
    const target = await flavor.authorizeUrl(provider, {
      state,
      challenge,
      nonce: nonceOf(verifier),
      scopes,
    });
    await this.deps.repos.oauthFlows.create({
      stateHash: hashToken(state),
      providerId: provider.id,
      codeVerifierSealed: this.deps.secrets.seal(verifier),
      returnTo: safeReturnTo(input.returnTo),
      userId: input.user?.id ?? null,
      scopes: scopes.join(' '),
      ttlMs: FLOW_TTL_MS,
    });
    return target;
  }

  /** The provider sent the browser back: the signed-in user and where to go. */
  async complete(input: { code: string; state: string }): Promise<{ user: User; returnTo: string }> {
    const flow = await this.deps.repos.oauthFlows.consume(hashToken(input.state));
    if (!flow) {
      throw new AppError(
        'permission_denied',
        'this sign-in link was used already, has expired or was not started here: sign in again',
      );
    }
    const provider = providerById(await this.providers(), flow.providerId);
    const flavor = flavorOf(provider);
    const verifier = this.deps.secrets.open(flow.codeVerifierSealed);
    const { account: named, ...token } = await flavor.exchange(
      provider,
      input.code,
      verifier,
      nonceOf(verifier),
    );
    const account = named ?? (await flavor.account?.(provider, token.accessToken));
    if (!account) throw new AppError('internal', `${provider.id} signed in without naming an account`);
    const user = await this.userFor(provider, account, flow.userId);
    await this.deps.repos.identities.link({
      providerId: provider.id,
      subject: account.subject,
      userId: user.id,
      login: account.login,
      email: account.email,
    });
    // an OpenID Connect provider only signs in: its tokens open no repository, so none is kept
    if (provider.type !== 'OIDC') {
      await this.deps.repos.scmTokens.put({
        providerId: provider.id,
        subject: account.subject,
        tokenSealed: this.deps.secrets.seal(JSON.stringify(token)),
        scopes: token.scopes.join(' '),
        expiresAt: token.expiresAt ?? null,
      });
    }
    this.deps.logger.info(
      { userId: user.id, provider: provider.id, login: account.login, scopes: token.scopes },
      'signed in with a provider',
    );
    return { user, returnTo: flow.returnTo };
  }

  /** The user of this account: the linking user, the one it is linked to, or a new one (if allowed). */
  private async userFor(
    provider: AuthProvider,
    account: ProviderAccount,
    linking: string | null,
  ): Promise<User> {
    const { repos, config } = this.deps;
    if (linking) {
      const user = await repos.users.get(linking as UserId);
      if (!user) throw new AppError('not_found', 'the user who started linking this account is gone');
      return user;
    }
    const identity = await repos.identities.find(provider.id, account.subject);
    if (identity) {
      const user = await repos.users.get(identity.userId);
      if (!user) throw new AppError('internal', `identity ${provider.id}/${account.login} has no user`);
      if (user.blocked)
        throw new AppError('permission_denied', `user ${user.name} is blocked: ask an administrator`);
      return user;
    }
    const first = (await repos.users.count()) === 0;
    if (!first && config.blockNewUsers.enabled) {
      const domain = account.email?.split('@')[1]?.toLowerCase();
      if (!domain || !config.blockNewUsers.passlist.includes(domain)) {
        throw new AppError(
          'permission_denied',
          `this installation does not take new users${config.blockNewUsers.passlist.length ? ` except with an e-mail address at ${config.blockNewUsers.passlist.join(', ')}` : ''}: ask an administrator to add you`,
        );
      }
    }
    return repos.users.create({ name: await this.freeName(account.login), passwordHash: null, admin: first });
  }

  /** The login as a user name, or with a number after it when taken (login `ada`, then `ada-2`). */
  private async freeName(login: string): Promise<string> {
    const base =
      login
        .toLowerCase()
        .replace(/[^a-z0-9._-]/g, '-')
        .replace(/^[^a-z0-9]+/, '')
        .slice(0, 32) || `user-${createHash('sha256').update(login).digest('hex').slice(0, 6)}`;
    for (let n = 1; n < 1000; n++) {
      const name = n === 1 ? base : `${base}-${n}`;
      if (!(await this.deps.repos.users.findByName(name))) return name;
    }
    throw new AppError('conflict', `no free user name for ${login}`);
  }
}
