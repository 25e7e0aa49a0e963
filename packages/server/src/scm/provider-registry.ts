// The installation's sign-in providers as every request sees them: the config file's (checked once,
// at start) and the administrators' (read from the database at each use — one small query, no
// cache — so that every replica sees an added, changed or deleted provider at its next request).
import type { AuthProviderRow, Repositories, SecretBox } from '@atelier/db';
import { authProviderTypeSchema, type Config, isAppError, type PublicUrls } from '@atelier/protocol';
import type { Logger } from 'pino';
import {
  type AuthProvider,
  authProvider,
  callbackUrlOf,
  configuredProviders,
  providerById,
} from './providers.js';

export interface RegistryDeps {
  config: Config;
  urls: PublicUrls;
  repos: Repositories;
  secrets: SecretBox;
  logger: Logger;
}

/** A stored provider: usable, or why not (shown to administrators, logged when met). */
export type StoredProvider =
  | { row: AuthProviderRow; provider: AuthProvider; problem: null }
  | { row: AuthProviderRow; provider: null; problem: string };

export class AuthProviderRegistry {
  /** where every provider sends the user back; what administrators register at the provider */
  readonly callbackUrl: string;
  /** authProviders of the config file; a wrong callBackUrl stops the start */
  readonly fromConfig: readonly AuthProvider[];

  constructor(private readonly deps: RegistryDeps) {
    this.fromConfig = configuredProviders(deps.config, deps.urls);
    this.callbackUrl = callbackUrlOf(deps.urls);
  }

  /** Every usable provider: the config file's first, then the administrators' by id. */
  async list(): Promise<AuthProvider[]> {
    const stored = await this.stored();
    for (const s of stored) {
      if (s.problem !== null) {
        this.deps.logger.error({ provider: s.row.id, problem: s.problem }, 'sign-in provider unusable');
      }
    }
    return [...this.fromConfig, ...stored.flatMap((s) => (s.provider ? [s.provider] : []))];
  }

  /** The usable provider with this id; not_found names the ones there are. */
  async byId(id: string): Promise<AuthProvider> {
    return providerById(await this.list(), id);
  }

  /** The config file's provider with this id, if it is one. */
  configured(id: string): AuthProvider | undefined {
    return this.fromConfig.find((p) => p.id === id);
  }

  /** The administrators' providers, each with its secret opened, or the reason it cannot be used. */
  async stored(): Promise<StoredProvider[]> {
    const rows = await this.deps.repos.authProviders.list();
    return rows.map((row) => this.fromRow(row));
  }

  private fromRow(row: AuthProviderRow): StoredProvider {
    const shadow = this.fromConfig.find((p) => p.id === row.id || p.host === row.host);
    if (shadow) {
      const what = shadow.id === row.id ? `id ${row.id}` : `host ${row.host}`;
      return {
        row,
        provider: null,
        problem: `the config file's provider ${shadow.id} has the same ${what} and is used instead: delete this one`,
      };
    }
    const type = authProviderTypeSchema.safeParse(row.type);
    if (!type.success) {
      return {
        row,
        provider: null,
        problem: `unknown type ${row.type}: delete this provider and add it again`,
      };
    }
    let clientSecret: string;
    try {
      clientSecret = this.deps.secrets.open(row.clientSecretSealed);
    } catch (e) {
      if (!isAppError(e)) throw e;
      return { row, provider: null, problem: `its client secret cannot be read: ${e.message}` };
    }
    return {
      row,
      problem: null,
      provider: authProvider({
        ...row,
        type: type.data,
        scheme: row.scheme === 'http' ? 'http' : 'https',
        clientSecret,
        callbackUrl: this.callbackUrl,
      }),
    };
  }
}
