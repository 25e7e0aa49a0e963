// Workspaces keep the configuration read from their repository when they were created
// (.gitpod.yml or devcontainer.json, as protocol's WorkspaceConfig in JSON); null: created before.
import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const type = dialectOf(db) === 'mysql' ? sql`mediumtext` : sql`text`;
  await db.schema.alterTable('workspaces').addColumn('config', type).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('workspaces').dropColumn('config').execute();
}
