// Issue 5's columns: what keeps a running workspace alive (the source of its last activity, when the
// IDE's last tab went away), the workspace-scoped API token of an instance, a workspace's own
// inactivity time-out, and the users' preferences (IDE, default time-out).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('workspace_instances')
    .addColumn('last_activity_source', 'varchar(16)')
    .execute();
  await db.schema.alterTable('workspace_instances').addColumn('ide_closed_at', 'varchar(32)').execute();
  // sha256 (hex) of the token `gp` and the supervisor call the API with; null once the instance stopped
  await db.schema
    .alterTable('workspace_instances')
    .addColumn('workspace_token_hash', 'varchar(64)')
    .execute();
  await db.schema
    .createIndex('workspace_instances_token_idx')
    .on('workspace_instances')
    .column('workspace_token_hash')
    .unique()
    .execute();
  // ms; null: the owner's preference, else the installation's default
  await db.schema.alterTable('workspaces').addColumn('timeout_ms', 'integer').execute();
  // JSON of userPreferencesSchema; null: the defaults
  await db.schema.alterTable('users').addColumn('preferences', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('preferences').execute();
  await db.schema.alterTable('workspaces').dropColumn('timeout_ms').execute();
  await db.schema.dropIndex('workspace_instances_token_idx').on('workspace_instances').execute();
  for (const column of ['workspace_token_hash', 'ide_closed_at', 'last_activity_source']) {
    await db.schema.alterTable('workspace_instances').dropColumn(column).execute();
  }
}
