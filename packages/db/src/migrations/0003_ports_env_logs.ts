// Issue 3's tables: port visibility changed at run time, the users' environment variables
// (values sealed), the environment given in the context URL, and logs kept per instance
// (image builds, task output) in ordered chunks that any process can follow.
import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

function create(db: Kysely<unknown>, name: string): CreateTableBuilder<string, never> {
  const table = db.schema.createTable(name);
  return dialectOf(db) === 'mysql'
    ? table.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`)
    : table;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const mysql = dialectOf(db) === 'mysql';
  await create(db, 'workspace_ports')
    .addColumn('workspace_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('workspace_ports_pk', ['workspace_id', 'port'])
    .execute();

  await create(db, 'user_env_vars')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('repository_pattern', 'varchar(255)', (c) => c.notNull())
    .addColumn('value_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('user_env_vars_name_pattern_uq', ['user_id', 'name', 'repository_pattern'])
    .execute();

  // VAR=value pairs from the context URL's prefix, as a JSON object; null when there were none
  await db.schema.alterTable('workspaces').addColumn('context_env', 'text').execute();

  await create(db, 'instance_logs')
    .addColumn('instance_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('stream', 'varchar(64)', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('chunk', mysql ? sql`mediumtext` : 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('instance_logs_pk', ['instance_id', 'stream', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('instance_logs').execute();
  await db.schema.alterTable('workspaces').dropColumn('context_env').execute();
  await db.schema.dropTable('user_env_vars').execute();
  await db.schema.dropTable('workspace_ports').execute();
}
