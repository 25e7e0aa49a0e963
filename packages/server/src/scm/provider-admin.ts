// What administrators do with sign-in providers in the dashboard: list them all (the config file's
// read-only), add, change and delete their own. Input follows the config file's rules; the client
// secret is sealed at once and never handed out or logged. Changes that would hand the accounts
// linked under a provider id to another server, or unlink them, need `force`.
import type { AuthProviderRow, User } from '@atelier/db';
import {
  type AdminAuthProviderDto,
  type AdminAuthProvidersDto,
  AppError,
  type AuthProviderConfig,
  authProviderConfigSchema,
  formatIssues,
  isAppError,
  type UpdateAuthProviderRequest,
} from '@atelier/protocol';
import { iso } from '../workspaces/dto.js';
import { flavorOf } from './oauth.js';
import type { AuthProviderRegistry, RegistryDeps } from './provider-registry.js';
import type { AuthProvider } from './providers.js';

/** Stands for the stored client secret while a change is checked; never stored. */
const KEPT_SECRET = 'kept';

export class AuthProviderAdmin {
  constructor(
    private readonly deps: Pick<RegistryDeps, 'repos' | 'secrets' | 'logger'>,
    private readonly registry: AuthProviderRegistry,
  ) {}

  async list(): Promise<AdminAuthProvidersDto> {
    const counts = await this.deps.repos.authProviders.linkedAccountCounts();
    const stored = await this.registry.stored();
    const fromConfig = this.registry.fromConfig.map((p) => configDto(p, counts.get(p.id) ?? 0));
    const added = stored.map((s) => this.dto(s.row, counts.get(s.row.id) ?? 0, s.problem));
    return { callbackUrl: this.registry.callbackUrl, providers: [...fromConfig, ...added] };
  }

  async create(input: AuthProviderConfig, by: User, force: boolean): Promise<AdminAuthProviderDto> {
    this.check(input);
    this.refuseConfigClash(input);
    if (await this.deps.repos.authProviders.get(input.id)) {
      throw new AppError(
        'conflict',
        `a sign-in provider with id ${input.id} exists already: choose another id`,
      );
    }
    const linked = await this.deps.repos.authProviders.linkedAccounts(input.id);
    if (linked.count > 0 && !force) {
      throw new AppError(
        'failed_precondition',
        `${accounts(linked)} signed in earlier with a provider whose id was ${input.id}: this provider would take them over, so its accounts must be the same ones — choose another id, or add it anyway (?force=1) if ${input.host} is that same server`,
      );
    }
    const row = await this.deps.repos.authProviders.create({
      id: input.id,
      host: input.host,
      type: input.type,
      scheme: input.scheme,
      clientId: input.oauth.clientId,
      clientSecretSealed: this.deps.secrets.seal(input.oauth.clientSecret),
      issuer: input.oauth.issuer ?? null,
      createdBy: by.id,
    });
    this.deps.logger.info(
      { userId: by.id, provider: row.id, host: row.host, type: row.type },
      'sign-in provider added',
    );
    return this.dto(row, linked.count, null);
  }

  async update(
    id: string,
    patch: UpdateAuthProviderRequest,
    by: User,
    force: boolean,
  ): Promise<AdminAuthProviderDto> {
    const row = await this.ownRow(id);
    const merged = mergedConfig(row, patch);
    this.check(merged);
    this.refuseConfigClash(merged);
    const linked = await this.deps.repos.authProviders.linkedAccounts(id);
    const moved = merged.host !== row.host || merged.type !== row.type;
    if (moved && linked.count > 0 && !force) {
      throw new AppError(
        'failed_precondition',
        `${id} has ${accounts(linked)} linked: at another host or type their account ids would name other people — add a provider for ${merged.host} instead, or change it anyway (?force=1) if the same server moved`,
      );
    }
    const secret = patch.oauth?.clientSecret;
    const updated = await this.deps.repos.authProviders.update(id, {
      host: merged.host,
      type: merged.type,
      scheme: merged.scheme,
      clientId: merged.oauth.clientId,
      issuer: merged.oauth.issuer ?? null,
      ...(secret === undefined ? {} : { clientSecretSealed: this.deps.secrets.seal(secret) }),
    });
    if (!updated) throw notFound(id);
    this.deps.logger.info(
      {
        userId: by.id,
        provider: id,
        host: updated.host,
        type: updated.type,
        secretChanged: secret !== undefined,
      },
      'sign-in provider changed',
    );
    return this.dto(updated, linked.count, null);
  }

  async delete(id: string, by: User, force: boolean): Promise<void> {
    await this.ownRow(id);
    const linked = await this.deps.repos.authProviders.linkedAccounts(id);
    if (linked.count > 0 && !force) {
      throw new AppError(
        'failed_precondition',
        `${id} has ${accounts(linked)} linked: deleting it unlinks them — those users can no longer sign in with ${id} and their workspaces lose its git credentials. Delete it anyway with ?force=1`,
      );
    }
    if (!(await this.deps.repos.authProviders.delete(id))) throw notFound(id);
    this.deps.logger.info(
      { userId: by.id, provider: id, unlinkedAccounts: linked.count },
      'sign-in provider deleted',
    );
  }

  /** The administrators' provider with this id; the config file's cannot be changed here. */
  private async ownRow(id: string): Promise<AuthProviderRow> {
    if (this.registry.configured(id)) {
      throw new AppError(
        'permission_denied',
        `sign-in provider ${id} comes from the config file (authProviders): change it there and restart Atelier`,
      );
    }
    const row = await this.deps.repos.authProviders.get(id);
    if (!row) throw notFound(id);
    return row;
  }

  /** The config file's callback rule, and a type this version can sign in with. */
  private check(p: AuthProviderConfig): void {
    const problems: string[] = [];
    if (p.oauth.callBackUrl && p.oauth.callBackUrl !== this.registry.callbackUrl) {
      problems.push(
        `oauth.callBackUrl: Atelier receives callbacks at ${this.registry.callbackUrl} — register that URL at the provider and leave callBackUrl out`,
      );
    }
    try {
      flavorOf({
        id: p.id,
        host: p.host,
        type: p.type,
        clientId: p.oauth.clientId,
        clientSecret: '',
        webOrigin: `${p.scheme}://${p.host}`,
        callbackUrl: this.registry.callbackUrl,
      });
    } catch (e) {
      if (!isAppError(e)) throw e;
      problems.push(`type: ${e.message}`);
    }
    if (problems.length > 0) {
      throw new AppError('invalid_argument', `the request has ${problems.length} problem(s)`, problems);
    }
  }

  private refuseConfigClash(p: AuthProviderConfig): void {
    for (const c of this.registry.fromConfig) {
      if (c.id === p.id) {
        throw new AppError(
          'conflict',
          `id ${p.id} belongs to a provider of the config file (authProviders): choose another id`,
        );
      }
      if (c.host === p.host) {
        throw new AppError(
          'conflict',
          `host ${p.host} belongs to ${c.id} of the config file (authProviders): one provider per host`,
        );
      }
    }
  }

  private dto(row: AuthProviderRow, linkedAccounts: number, problem: string | null): AdminAuthProviderDto {
    return {
      id: row.id,
      type: row.type,
      host: row.host,
      scheme: row.scheme === 'http' ? 'http' : 'https',
      clientId: row.clientId,
      clientSecretSet: row.clientSecretSealed !== '',
      issuer: row.issuer,
      callbackUrl: this.registry.callbackUrl,
      source: 'dashboard',
      linkedAccounts,
      problem,
      createdAt: iso(row.createdAt),
      updatedAt: iso(row.updatedAt),
    };
  }
}

function configDto(p: AuthProvider, linkedAccounts: number): AdminAuthProviderDto {
  return {
    id: p.id,
    type: p.type,
    host: p.host,
    scheme: p.webOrigin.startsWith('http://') ? 'http' : 'https',
    clientId: p.clientId,
    clientSecretSet: p.clientSecret !== '',
    issuer: p.issuer ?? null,
    callbackUrl: p.callbackUrl,
    source: 'config',
    linkedAccounts,
    problem: null,
    createdAt: null,
    updatedAt: null,
  };
}

/** The stored provider with the patch applied, checked by the config file's rules (400 naming fields). */
function mergedConfig(row: AuthProviderRow, patch: UpdateAuthProviderRequest): AuthProviderConfig {
  const issuer = patch.oauth?.issuer === undefined ? row.issuer : patch.oauth.issuer;
  const candidate = {
    id: row.id,
    host: patch.host ?? row.host,
    type: patch.type ?? row.type,
    scheme: patch.scheme ?? row.scheme,
    oauth: {
      clientId: patch.oauth?.clientId ?? row.clientId,
      clientSecret: patch.oauth?.clientSecret ?? KEPT_SECRET,
      ...(patch.oauth?.callBackUrl ? { callBackUrl: patch.oauth.callBackUrl } : {}),
      ...(issuer ? { issuer } : {}),
    },
  };
  const result = authProviderConfigSchema.safeParse(candidate);
  if (!result.success) {
    const details = formatIssues(result.error.issues);
    throw new AppError('invalid_argument', `the request has ${details.length} problem(s)`, details);
  }
  return result.data;
}

/** "1 account (user ada)", "7 accounts (users ada, bob, …)" */
function accounts(linked: { count: number; userNames: string[] }): string {
  const more = linked.count > linked.userNames.length ? ', …' : '';
  const users = linked.userNames.length === 1 && linked.count === 1 ? 'user' : 'users';
  const names = linked.userNames.length ? ` (${users} ${linked.userNames.join(', ')}${more})` : '';
  return `${linked.count} account${linked.count === 1 ? '' : 's'}${names}`;
}

const notFound = (id: string) =>
  new AppError('not_found', `no sign-in provider ${id} was added in the dashboard`);
