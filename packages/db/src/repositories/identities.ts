// The accounts users sign in with (one row per provider account) and the SCM token of each, sealed
// by the caller. The provider's stable subject, not the login, identifies an account.
import { AppError, type UserId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { Database, Identity, ScmTokenRow } from '../schema.js';

export class IdentityRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async find(providerId: string, subject: string): Promise<Identity | undefined> {
    return this.db
      .selectFrom('identities')
      .selectAll()
      .where('providerId', '=', providerId)
      .where('subject', '=', subject)
      .executeTakeFirst();
  }

  /** The user's identities, oldest first. */
  async listForUser(userId: UserId): Promise<Identity[]> {
    return this.db
      .selectFrom('identities')
      .selectAll()
      .where('userId', '=', userId)
      .orderBy('createdAt')
      .orderBy('providerId')
      .execute();
  }

  /**
   * Links a provider account to a user, or records a new sign-in of a linked one (login and email
   * may have changed at the provider). An account linked to another user is a conflict.
   */
  async link(input: {
    providerId: string;
    subject: string;
    userId: UserId;
    login: string;
    email: string | null;
  }): Promise<Identity> {
    const now = this.clock().toISOString();
    const existing = await this.find(input.providerId, input.subject);
    if (existing && existing.userId !== input.userId) {
      throw new AppError(
        'conflict',
        `this ${input.providerId} account (${input.login}) belongs to another user of this installation: sign in with it instead`,
      );
    }
    if (existing) {
      await this.db
        .updateTable('identities')
        .set({ login: input.login, email: input.email, lastSigninAt: now })
        .where('providerId', '=', input.providerId)
        .where('subject', '=', input.subject)
        .execute();
      return { ...existing, login: input.login, email: input.email, lastSigninAt: now };
    }
    const row: Identity = { ...input, createdAt: now, lastSigninAt: now };
    try {
      await this.db.insertInto('identities').values(row).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // another sign-in of the same account won the race: it is linked now, to whom it says
      return this.link(input);
    }
    return row;
  }

  /** Unlinks an account of the user (its token goes too); false when the user has no such identity. */
  async unlink(userId: UserId, providerId: string, subject: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('identities')
        .where('userId', '=', userId)
        .where('providerId', '=', providerId)
        .where('subject', '=', subject)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await trx
        .deleteFrom('scmTokens')
        .where('providerId', '=', providerId)
        .where('subject', '=', subject)
        .execute();
      return true;
    });
  }
}

export class ScmTokenRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async get(providerId: string, subject: string): Promise<ScmTokenRow | undefined> {
    return this.db
      .selectFrom('scmTokens')
      .selectAll()
      .where('providerId', '=', providerId)
      .where('subject', '=', subject)
      .executeTakeFirst();
  }

  /** Stores (or replaces) the sealed token of an identity. */
  async put(input: Omit<ScmTokenRow, 'updatedAt'>): Promise<void> {
    const row: ScmTokenRow = { ...input, updatedAt: this.clock().toISOString() };
    const { providerId: _p, subject: _s, ...changes } = row;
    const updated = await this.db
      .updateTable('scmTokens')
      .set(changes)
      .where('providerId', '=', input.providerId)
      .where('subject', '=', input.subject)
      .executeTakeFirst();
    if (updated.numUpdatedRows > 0n) return;
    try {
      await this.db.insertInto('scmTokens').values(row).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await this.put(input); // inserted meanwhile by a concurrent sign-in: replace it
    }
  }
}
