// A user's environment variables for the workspaces of repositories matching `owner/repo` patterns;
// values arrive sealed (SecretBox) and leave sealed: this repository never sees one in the clear.
import { randomUUID } from 'node:crypto';
import { AppError, matchesRepositoryPattern, type UserId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { Database, UserEnvVar } from '../schema.js';

export class UserEnvVarRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  /** The user's variables by name, then pattern. */
  async list(userId: UserId): Promise<UserEnvVar[]> {
    return this.db
      .selectFrom('userEnvVars')
      .selectAll()
      .where('userId', '=', userId)
      .orderBy('name')
      .orderBy('repositoryPattern')
      .execute();
  }

  /**
   * Creates the variable, or replaces the value of the user's variable with this name and pattern
   * (the pattern as given: callers normalize it). Insert first, update on a duplicate key: the
   * same on both dialects, and two concurrent writers both end with one row.
   */
  async upsert(
    userId: UserId,
    name: string,
    repositoryPattern: string,
    valueSealed: string,
  ): Promise<{ envVar: UserEnvVar; created: boolean }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.clock().toISOString();
      const row: UserEnvVar = {
        id: randomUUID(),
        userId,
        name,
        repositoryPattern,
        valueSealed,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await this.db.insertInto('userEnvVars').values(row).execute();
        return { envVar: row, created: true };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const updated = await this.db
        .updateTable('userEnvVars')
        .set({ valueSealed, updatedAt: now })
        .where('userId', '=', userId)
        .where('name', '=', name)
        .where('repositoryPattern', '=', repositoryPattern)
        .executeTakeFirst();
      // zero rows only if the variable was deleted in between: insert again
      if (updated.numUpdatedRows > 0n) {
        const envVar = await this.db
          .selectFrom('userEnvVars')
          .selectAll()
          .where('userId', '=', userId)
          .where('name', '=', name)
          .where('repositoryPattern', '=', repositoryPattern)
          .executeTakeFirst();
        if (envVar) return { envVar, created: false };
      }
    }
    throw new AppError(
      'unavailable',
      `variable ${name} (${repositoryPattern}) was deleted while it was written, five times — try again`,
    );
  }

  /** Deletes the variable only if it belongs to userId; returns whether one was deleted. */
  async delete(userId: UserId, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('userEnvVars')
      .where('id', '=', id)
      .where('userId', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /**
   * The user's variables whose pattern matches `repository` (`owner/repo`), every candidate of a
   * name: protocol's userEnvFor picks the most specific. Patterns are matched here, not in SQL:
   * a user has at most a few thousand variables.
   */
  async forRepository(userId: UserId, repository: string): Promise<UserEnvVar[]> {
    const all = await this.list(userId);
    return all.filter((v) => matchesRepositoryPattern(v.repositoryPattern, repository));
  }
}
