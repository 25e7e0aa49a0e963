// Users: local accounts with a unique, case-insensitive name (stored lower-case).
import { randomUUID } from 'node:crypto';
import { AppError, type UserId } from '@atelier/protocol';
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { Database, User, UsersTable } from '../schema.js';

export function toUser(row: Selectable<UsersTable>): User {
  return { ...row, admin: row.admin !== 0, blocked: row.blocked !== 0 };
}

export class UserRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async create(input: { name: string; passwordHash: string | null; admin: boolean }): Promise<User> {
    const row: UsersTable = {
      id: randomUUID() as UserId,
      name: input.name.toLowerCase(),
      passwordHash: input.passwordHash,
      admin: input.admin ? 1 : 0,
      blocked: 0,
      createdAt: this.clock().toISOString(),
      preferences: null,
    };
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('conflict', `a user named ${row.name} exists — choose another name`);
      }
      throw error;
    }
    return toUser(row);
  }

  async get(id: UserId): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findByName(name: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', name.toLowerCase())
      .executeTakeFirst();
    return row && toUser(row);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Every user, oldest first. */
  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('createdAt').orderBy('name').execute();
    return rows.map(toUser);
  }

  /** Changes the password hash, admin or blocked flag, or the preferences (JSON); throws not_found for an unknown id. */
  async update(
    id: UserId,
    patch: { passwordHash?: string | null; admin?: boolean; blocked?: boolean; preferences?: string | null },
  ): Promise<User> {
    const values: Partial<UsersTable> = {};
    if (patch.preferences !== undefined) values.preferences = patch.preferences;
    if (patch.passwordHash !== undefined) values.passwordHash = patch.passwordHash;
    if (patch.admin !== undefined) values.admin = patch.admin ? 1 : 0;
    if (patch.blocked !== undefined) values.blocked = patch.blocked ? 1 : 0;
    if (Object.keys(values).length > 0) {
      await this.db.updateTable('users').set(values).where('id', '=', id).execute();
    }
    const user = await this.get(id);
    if (!user) throw new AppError('not_found', `user ${id} does not exist`);
    return user;
  }
}
