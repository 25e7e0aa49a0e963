// Issue 6's tables: the SCM and OIDC providers added by administrators (the config file's come on
// top), the identities users sign in with (several per user), the SCM token of each identity
// (sealed), and the OAuth flows in progress (state, PKCE verifier; used once).
import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

function create(db: Kysely<unknown>, name: string): CreateTableBuilder<string, never> {
  const table = db.schema.createTable(name);
  return dialectOf(db) === 'mysql'
    ? table.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`)
    : table;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await create(db, 'auth_providers')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('client_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('client_secret_sealed', 'text', (c) => c.notNull())
    // OIDC: the issuer whose discovery document names the endpoints
    .addColumn('issuer', 'varchar(1024)')
    .addColumn('created_by', 'varchar(36)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('auth_providers_host_uq', ['host'])
    .execute();

  await create(db, 'identities')
    .addColumn('provider_id', 'varchar(64)', (c) => c.notNull())
    // the provider's stable user id (GitHub's numeric id, OIDC's sub), not the login, which can change
    .addColumn('subject', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('login', 'varchar(255)', (c) => c.notNull())
    .addColumn('email', 'varchar(320)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_signin_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('identities_pk', ['provider_id', 'subject'])
    .execute();
  await db.schema.createIndex('identities_user_idx').on('identities').column('user_id').execute();

  await create(db, 'scm_tokens')
    .addColumn('provider_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('subject', 'varchar(255)', (c) => c.notNull())
    // sealed JSON: { accessToken, refreshToken?, scopes, expiresAt? }
    .addColumn('token_sealed', 'text', (c) => c.notNull())
    .addColumn('scopes', 'varchar(1024)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('scm_tokens_pk', ['provider_id', 'subject'])
    .execute();

  await create(db, 'oauth_flows')
    // sha256 (hex) of the state sent to the provider
    .addColumn('state_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('provider_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('code_verifier_sealed', 'text', (c) => c.notNull())
    // where to go after the sign-in: a path of this site only
    .addColumn('return_to', 'varchar(2048)', (c) => c.notNull())
    // set when a signed-in user links an identity or raises scopes
    .addColumn('user_id', 'varchar(36)')
    .addColumn('scopes', 'varchar(1024)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('used_at', 'varchar(32)')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oauth_flows').execute();
  await db.schema.dropTable('scm_tokens').execute();
  await db.schema.dropIndex('identities_user_idx').on('identities').execute();
  await db.schema.dropTable('identities').execute();
  await db.schema.dropTable('auth_providers').execute();
}
