// First schema: users, sessions, access tokens, workspaces, instances, backups, system settings.
// Migrations see the database without the CamelCasePlugin, so names here are the SQL names.
import type { CreateTableBuilder, Kysely } from 'kysely';
import { sql } from 'kysely';
import { dialectOf } from '../dialect.js';

type Table = CreateTableBuilder<string, never>;

/** MySQL tables get utf8mb4 with binary collation, so comparisons match SQLite (case-sensitive). */
function create(db: Kysely<unknown>, name: string): Table {
  const table = db.schema.createTable(name);
  return dialectOf(db) === 'mysql'
    ? table.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`)
    : table;
}

async function index(db: Kysely<unknown>, table: string, column: string): Promise<void> {
  await db.schema.createIndex(`${table}_${column}_idx`).on(table).column(column).execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await create(db, 'users')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('password_hash', 'varchar(255)')
    .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await create(db, 'sessions')
    .addColumn('token_hash', 'char(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_seen_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await index(db, 'sessions', 'user_id');

  await create(db, 'access_tokens')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('token_hash', 'char(64)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('last_used_at', 'varchar(32)')
    .execute();
  await index(db, 'access_tokens', 'user_id');

  await create(db, 'workspaces')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('owner_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('context_url', 'text', (c) => c.notNull())
    .addColumn('clone_url', 'text', (c) => c.notNull())
    .addColumn('ref', 'varchar(255)')
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('deleted_at', 'varchar(32)')
    .execute();
  await index(db, 'workspaces', 'owner_id');

  await createInstances(db);

  await create(db, 'backups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('instance_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('bucket', 'varchar(255)', (c) => c.notNull())
    .addColumn('object_key', 'varchar(1024)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'char(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('verified_at', 'varchar(32)')
    .execute();
  await index(db, 'backups', 'workspace_id');

  await create(db, 'system_settings')
    .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

async function createInstances(db: Kysely<unknown>): Promise<void> {
  await create(db, 'workspace_instances')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('phase', 'varchar(16)', (c) => c.notNull())
    .addColumn('phase_times', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('desired_phase', 'varchar(16)', (c) => c.notNull())
    .addColumn('failed', 'text')
    .addColumn('message', 'text')
    .addColumn('stopped_reason', 'text')
    .addColumn('content_source', 'varchar(16)')
    .addColumn('owner_token_sealed', 'text', (c) => c.notNull())
    .addColumn('supervisor_token_sealed', 'text', (c) => c.notNull())
    .addColumn('image', 'varchar(512)', (c) => c.notNull())
    .addColumn('runtime', 'text')
    .addColumn('last_activity_at', 'varchar(32)')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await index(db, 'workspace_instances', 'workspace_id');
  await index(db, 'workspace_instances', 'phase');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'system_settings',
    'backups',
    'workspace_instances',
    'workspaces',
    'access_tokens',
    'sessions',
    'users',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
