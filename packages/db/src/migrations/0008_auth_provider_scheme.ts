// The scheme of an administrator's sign-in provider: https, or http for a provider on this machine's
// loopback (a local test server), as the config file's authProviders[].scheme.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('auth_providers')
    .addColumn('scheme', 'varchar(8)', (c) => c.notNull().defaultTo('https'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('auth_providers').dropColumn('scheme').execute();
}
