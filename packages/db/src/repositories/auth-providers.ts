// The sign-in providers administrators added in the dashboard (the config file's are not stored).
// The client secret arrives sealed and leaves sealed; ids and hosts are unique.
import { AppError } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { AuthProviderRow, Database } from '../schema.js';

/** What an administrator may change; the id stays (identities are stored under it). */
export type AuthProviderPatch = Partial<
  Pick<AuthProviderRow, 'host' | 'type' | 'scheme' | 'clientId' | 'clientSecretSealed' | 'issuer'>
>;

export class AuthProviderRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  /** Every stored provider, by id. */
  async list(): Promise<AuthProviderRow[]> {
    return this.db.selectFrom('authProviders').selectAll().orderBy('id').execute();
  }

  async get(id: string): Promise<AuthProviderRow | undefined> {
    return this.db.selectFrom('authProviders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Adds a provider; an id or host taken already is a conflict that names it. */
  async create(input: Omit<AuthProviderRow, 'createdAt' | 'updatedAt'>): Promise<AuthProviderRow> {
    const now = this.clock().toISOString();
    const row: AuthProviderRow = { ...input, createdAt: now, updatedAt: now };
    try {
      await this.db.insertInto('authProviders').values(row).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw await this.conflict(input.id, input.host, error);
    }
    return row;
  }

  /** Changes a provider; undefined when there is none with this id. */
  async update(id: string, patch: AuthProviderPatch): Promise<AuthProviderRow | undefined> {
    const changes = { ...patch, updatedAt: this.clock().toISOString() };
    try {
      const result = await this.db
        .updateTable('authProviders')
        .set(changes)
        .where('id', '=', id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return undefined;
    } catch (error) {
      if (!isUniqueViolation(error) || patch.host === undefined) throw error;
      throw await this.conflict(undefined, patch.host, error);
    }
    return this.get(id);
  }

  /**
   * Deletes a provider together with the accounts linked under its id and their SCM tokens (a
   * later provider with the same id must not inherit them); false when there is none.
   */
  async delete(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('authProviders').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await trx.deleteFrom('scmTokens').where('providerId', '=', id).execute();
      await trx.deleteFrom('identities').where('providerId', '=', id).execute();
      await trx.deleteFrom('oauthFlows').where('providerId', '=', id).execute();
      return true;
    });
  }

  /** How many accounts are linked under a provider id, and the names of (up to 5 of) their users. */
  async linkedAccounts(providerId: string): Promise<{ count: number; userNames: string[] }> {
    const counted = await this.db
      .selectFrom('identities')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('providerId', '=', providerId)
      .executeTakeFirstOrThrow();
    const count = Number(counted.n);
    if (count === 0) return { count, userNames: [] };
    const names = await this.db
      .selectFrom('identities')
      .innerJoin('users', 'users.id', 'identities.userId')
      .select('users.name')
      .where('identities.providerId', '=', providerId)
      .orderBy('users.name')
      .limit(5)
      .execute();
    return { count, userNames: names.map((n) => n.name) };
  }

  /** Linked account counts of every provider id that has some. */
  async linkedAccountCounts(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('identities')
      .select(['providerId', (eb) => eb.fn.countAll<number | string | bigint>().as('n')])
      .groupBy('providerId')
      .execute();
    return new Map(rows.map((r) => [r.providerId, Number(r.n)]));
  }

  private async conflict(id: string | undefined, host: string, cause: unknown): Promise<AppError> {
    if (id !== undefined && (await this.get(id))) {
      return new AppError('conflict', `a sign-in provider with id ${id} exists already: choose another id`);
    }
    const holder = await this.db
      .selectFrom('authProviders')
      .select('id')
      .where('host', '=', host)
      .executeTakeFirst();
    return new AppError(
      'conflict',
      holder
        ? `host ${host} belongs to sign-in provider ${holder.id} already: change that one instead`
        : `a sign-in provider with this id or host (${host}) was added meanwhile: reload and try again`,
      undefined,
      { cause },
    );
  }
}
