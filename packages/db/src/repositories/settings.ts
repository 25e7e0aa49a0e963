// System settings: named text values (setup state, generated secrets), with an atomic first write.
import { AppError } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { Database } from '../schema.js';

export class SettingsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async get(name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('systemSettings')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.value;
  }

  /** Inserts or replaces the value: insert first, update on a duplicate key (the same on both dialects). */
  async set(name: string, value: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.setIfAbsent(name, value)) return;
      const result = await this.db
        .updateTable('systemSettings')
        .set({ value, updatedAt: this.clock().toISOString() })
        .where('name', '=', name)
        .executeTakeFirst();
      // Zero rows only if another caller deleted the row in between: try the insert again.
      if (result.numUpdatedRows > 0n) return;
    }
    throw new AppError(
      'unavailable',
      `setting ${name} was deleted while it was written, five times — try again`,
    );
  }

  /** Writes the value unless the setting exists; true only for the one caller that inserted it. */
  async setIfAbsent(name: string, value: string): Promise<boolean> {
    try {
      await this.db
        .insertInto('systemSettings')
        .values({ name, value, updatedAt: this.clock().toISOString() })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Removes the setting; returns whether it existed. */
  async delete(name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('systemSettings').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
