// Issue 6's column: what a workspace's context URL resolved to through its SCM (a pull request's
// branch, an issue's local branch, a file to open), kept so every start checks out the same thing.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // JSON of protocol's resolvedContextSchema; null: a plain repository (and workspaces made before)
  await db.schema.alterTable('workspaces').addColumn('context', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('workspaces').dropColumn('context').execute();
}
