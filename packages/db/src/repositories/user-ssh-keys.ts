// The users' SSH public keys. A key (by fingerprint) is added once per user; the gateway reads a
// user's keys on each public-key attempt, so a deleted key stops working at once.
import { randomUUID } from 'node:crypto';
import { AppError, type UserId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { Database, UserSshKey } from '../schema.js';

export class UserSshKeyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  /** The user's keys, oldest first. */
  async list(userId: UserId): Promise<UserSshKey[]> {
    return this.db
      .selectFrom('userSshKeys')
      .selectAll()
      .where('userId', '=', userId)
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
  }

  /** Adds a key; a key the user has already (same fingerprint) is a conflict that names the first one. */
  async add(input: {
    userId: UserId;
    name: string;
    publicKey: string;
    fingerprint: string;
  }): Promise<UserSshKey> {
    const row: UserSshKey = {
      id: randomUUID(),
      ...input,
      createdAt: this.clock().toISOString(),
      lastUsedAt: null,
    };
    try {
      await this.db.insertInto('userSshKeys').values(row).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const first = await this.db
        .selectFrom('userSshKeys')
        .select('name')
        .where('userId', '=', input.userId)
        .where('fingerprint', '=', input.fingerprint)
        .executeTakeFirst();
      throw new AppError(
        'conflict',
        `this key (${input.fingerprint}) is added already${first ? ` as "${first.name}"` : ''}`,
      );
    }
    return row;
  }

  /** Deletes the key only if it belongs to userId; returns whether one was deleted. */
  async delete(userId: UserId, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('userSshKeys')
      .where('id', '=', id)
      .where('userId', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Records that the key opened a session (best effort; the caller does not wait on it). */
  async markUsed(userId: UserId, fingerprint: string): Promise<void> {
    await this.db
      .updateTable('userSshKeys')
      .set({ lastUsedAt: this.clock().toISOString() })
      .where('userId', '=', userId)
      .where('fingerprint', '=', fingerprint)
      .execute();
  }
}
