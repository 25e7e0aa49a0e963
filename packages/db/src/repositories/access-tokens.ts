// Personal access tokens for the CLI and API: stored as sha256, optionally expiring, scoped to a user.
import { randomUUID } from 'node:crypto';
import type { UserId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import type { AccessToken, Database, User } from '../schema.js';
import { toUser } from './users.js';

export class AccessTokenRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async create(input: {
    userId: UserId;
    name: string;
    tokenHash: string;
    expiresAt?: string | null;
  }): Promise<AccessToken> {
    const row: AccessToken = {
      id: randomUUID(),
      userId: input.userId,
      name: input.name,
      tokenHash: input.tokenHash,
      createdAt: this.clock().toISOString(),
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
    };
    await this.db.insertInto('accessTokens').values(row).execute();
    return row;
  }

  /** The token and its user, unless the token expired or the user is blocked. */
  async findValid(tokenHash: string): Promise<{ token: AccessToken; user: User } | undefined> {
    const now = this.clock().toISOString();
    const row = await this.db
      .selectFrom('accessTokens as t')
      .innerJoin('users as u', 'u.id', 't.userId')
      .select([
        't.id as tokenId',
        't.userId',
        't.name as tokenName',
        't.tokenHash',
        't.createdAt as tokenCreatedAt',
        't.expiresAt',
        't.lastUsedAt',
        'u.id',
        'u.name',
        'u.passwordHash',
        'u.admin',
        'u.blocked',
        'u.createdAt',
        'u.preferences',
      ])
      .where('t.tokenHash', '=', tokenHash)
      .where((eb) => eb.or([eb('t.expiresAt', 'is', null), eb('t.expiresAt', '>', now)]))
      .where('u.blocked', '=', 0)
      .executeTakeFirst();
    if (!row) return undefined;
    const {
      tokenId,
      userId,
      tokenName,
      tokenHash: hash,
      tokenCreatedAt,
      expiresAt,
      lastUsedAt,
      ...user
    } = row;
    const token: AccessToken = {
      id: tokenId,
      userId,
      name: tokenName,
      tokenHash: hash,
      createdAt: tokenCreatedAt,
      expiresAt,
      lastUsedAt,
    };
    return { token, user: toUser(user) };
  }

  /** The user's tokens, newest first. */
  async listForUser(userId: UserId): Promise<AccessToken[]> {
    return this.db
      .selectFrom('accessTokens')
      .selectAll()
      .where('userId', '=', userId)
      .orderBy('createdAt', 'desc')
      .orderBy('id')
      .execute();
  }

  /** Deletes the token only if it belongs to userId; returns whether one was deleted. */
  async delete(id: string, userId: UserId): Promise<boolean> {
    const result = await this.db
      .deleteFrom('accessTokens')
      .where('id', '=', id)
      .where('userId', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async touch(id: string): Promise<void> {
    await this.db
      .updateTable('accessTokens')
      .set({ lastUsedAt: this.clock().toISOString() })
      .where('id', '=', id)
      .execute();
  }
}
