// Browser sessions: the sha256 of the cookie's token, with an expiry checked against the clock.
import type { UserId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import type { Database, Session, User } from '../schema.js';
import { toUser } from './users.js';

export class SessionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async create(input: { tokenHash: string; userId: UserId; expiresAt: string }): Promise<Session> {
    const now = this.clock().toISOString();
    const row: Session = { ...input, createdAt: now, lastSeenAt: now };
    await this.db.insertInto('sessions').values(row).execute();
    return row;
  }

  /** The session and its user, unless the session expired or the user is blocked. */
  async findValid(tokenHash: string): Promise<{ session: Session; user: User } | undefined> {
    const row = await this.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.userId')
      .select([
        's.tokenHash',
        's.userId',
        's.createdAt as sessionCreatedAt',
        's.expiresAt',
        's.lastSeenAt',
        'u.id',
        'u.name',
        'u.passwordHash',
        'u.admin',
        'u.blocked',
        'u.createdAt',
        'u.preferences',
      ])
      .where('s.tokenHash', '=', tokenHash)
      .where('s.expiresAt', '>', this.clock().toISOString())
      .where('u.blocked', '=', 0)
      .executeTakeFirst();
    if (!row) return undefined;
    const { tokenHash: hash, userId, sessionCreatedAt, expiresAt, lastSeenAt, ...user } = row;
    return {
      session: { tokenHash: hash, userId, createdAt: sessionCreatedAt, expiresAt, lastSeenAt },
      user: toUser(user),
    };
  }

  async touch(tokenHash: string): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ lastSeenAt: this.clock().toISOString() })
      .where('tokenHash', '=', tokenHash)
      .execute();
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('tokenHash', '=', tokenHash).execute();
  }

  /** Removes expired sessions; returns how many. */
  async deleteExpired(): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where('expiresAt', '<=', this.clock().toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
