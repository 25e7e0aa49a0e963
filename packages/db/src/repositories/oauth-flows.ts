// OAuth sign-ins in progress. A flow is found by the hash of its state and can be used once, before
// it expires: a replayed or forged callback finds nothing.
import type { UserId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import type { Database, OauthFlow } from '../schema.js';

export class OauthFlowRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async create(input: {
    stateHash: string;
    providerId: string;
    codeVerifierSealed: string;
    returnTo: string;
    userId: UserId | null;
    scopes: string;
    ttlMs: number;
  }): Promise<void> {
    const now = this.clock();
    const { ttlMs, ...fields } = input;
    await this.db
      .insertInto('oauthFlows')
      .values({
        ...fields,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
        usedAt: null,
      })
      .execute();
  }

  /**
   * Takes the flow of this state: marks it used in one conditional UPDATE (so two callbacks with the
   * same state cannot both win) and returns it; undefined when unknown, used or expired.
   */
  async consume(stateHash: string): Promise<OauthFlow | undefined> {
    const now = this.clock().toISOString();
    const taken = await this.db
      .updateTable('oauthFlows')
      .set({ usedAt: now })
      .where('stateHash', '=', stateHash)
      .where('usedAt', 'is', null)
      .where('expiresAt', '>', now)
      .executeTakeFirst();
    if (taken.numUpdatedRows === 0n) return undefined;
    return this.db.selectFrom('oauthFlows').selectAll().where('stateHash', '=', stateHash).executeTakeFirst();
  }

  /** Removes flows that ended a day ago or more; returns how many. */
  async prune(): Promise<number> {
    const dayAgo = new Date(this.clock().getTime() - 86_400_000).toISOString();
    const result = await this.db.deleteFrom('oauthFlows').where('expiresAt', '<', dayAgo).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
