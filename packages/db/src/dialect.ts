// The few places where SQLite and MySQL differ: which dialect a Kysely instance speaks, and how a
// duplicate-key error looks.
import { type Kysely, MysqlAdapter } from 'kysely';

export type DialectName = 'sqlite' | 'mysql';

export function dialectOf<T>(db: Kysely<T>): DialectName {
  return db.getExecutor().adapter instanceof MysqlAdapter ? 'mysql' : 'sqlite';
}

/** True for a unique or primary-key violation from better-sqlite3 or mysql2. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = error.code;
  return (
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'ER_DUP_ENTRY'
  );
}
