// Issue 4's tables: the users' SSH public keys (for the SSH gateway) and the workspace-wide share
// switch (anyone with the URL may use the workspace, as Gitpod's "share workspace").
import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

function create(db: Kysely<unknown>, name: string): CreateTableBuilder<string, never> {
  const table = db.schema.createTable(name);
  return dialectOf(db) === 'mysql'
    ? table.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`)
    : table;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await create(db, 'user_ssh_keys')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    // the OpenSSH line as normalized: "<algorithm> <base64 blob>" (the comment goes into name)
    .addColumn('public_key', 'text', (c) => c.notNull())
    // "SHA256:<base64>", as ssh-keygen -l prints it
    .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_used_at', 'varchar(32)')
    .addUniqueConstraint('user_ssh_keys_fingerprint_uq', ['user_id', 'fingerprint'])
    .execute();

  await db.schema
    .alterTable('workspaces')
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('workspaces').dropColumn('shared').execute();
  await db.schema.dropTable('user_ssh_keys').execute();
}
