// Versioned schema migrations, compiled into the program (no migration files read at run time).
import { AppError } from '@atelier/protocol';
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { dialectOf } from '../dialect.js';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_workspace_config.js';
import * as m0003 from './0003_ports_env_logs.js';
import * as m0004 from './0004_ssh_keys_sharing.js';
import * as m0005 from './0005_ide_activity.js';
import * as m0006 from './0006_identities.js';
import * as m0007 from './0007_workspace_context.js';
import * as m0008 from './0008_auth_provider_scheme.js';

/** Every migration, by name; names sort in the order they run. Never edit one that shipped. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': m0001,
  '0002_workspace_config': m0002,
  '0003_ports_env_logs': m0003,
  '0004_ssh_keys_sharing': m0004,
  '0005_ide_activity': m0005,
  '0006_identities': m0006,
  '0007_workspace_context': m0007,
  '0008_auth_provider_scheme': m0008,
};

const provider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };

/**
 * Brings the schema up to date and returns the names of the migrations it applied (none when
 * already current). Safe when processes start together: on MySQL, Kysely holds a named lock
 * (GET_LOCK) while migrating; on SQLite, all migrations run in one BEGIN IMMEDIATE transaction,
 * which also makes them all-or-nothing.
 */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  // Migrations are written in SQL names; the CamelCasePlugin would rewrite Kysely's own tables too.
  const plain = db.withoutPlugins();
  if (dialectOf(plain) === 'mysql') return runMigrator(plain);
  return plain.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection).catch((error: unknown) => {
      throw migrationError(undefined, error);
    });
    try {
      const applied = await runMigrator(connection);
      await sql`commit`.execute(connection);
      return applied;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}

async function runMigrator<T>(db: Kysely<T>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  let outcome: Awaited<ReturnType<Migrator['migrateToLatest']>>;
  try {
    outcome = await migrator.migrateToLatest();
  } catch (error) {
    throw migrationError(undefined, error);
  }
  const failed = outcome.results?.find((r) => r.status === 'Error');
  if (outcome.error !== undefined) throw migrationError(failed?.migrationName, outcome.error);
  return (outcome.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function migrationError(name: string | undefined, error: unknown): AppError {
  const reason = error instanceof Error ? error.message : String(error);
  const what = name === undefined ? 'the database migration failed' : `database migration ${name} failed`;
  return new AppError(
    'internal',
    `${what}: ${reason} — fix the cause (permissions, disk space, a schema changed by hand) ` +
      'and start again; earlier migrations stay applied',
    undefined,
    { cause: error },
  );
}
