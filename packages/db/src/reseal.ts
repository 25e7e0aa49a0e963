// Key rotation: every secret at rest sealed with an older key of the ring is sealed again with the
// current one, so the old key can then leave the ring. Nothing is lost on the way: a value is
// replaced only by a copy that opens to the same text, and only if nobody changed it meanwhile.
import { AppError } from '@atelier/protocol';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import type { SecretBox } from './secrets.js';

/** Every sealed column: its table, the primary key's columns and the sealed column (SQL names). */
export const SEALED_COLUMNS: readonly { table: string; keys: readonly string[]; column: string }[] = [
  { table: 'workspace_instances', keys: ['id'], column: 'owner_token_sealed' },
  { table: 'workspace_instances', keys: ['id'], column: 'supervisor_token_sealed' },
  { table: 'user_env_vars', keys: ['id'], column: 'value_sealed' },
  { table: 'auth_providers', keys: ['id'], column: 'client_secret_sealed' },
  { table: 'scm_tokens', keys: ['provider_id', 'subject'], column: 'token_sealed' },
  { table: 'oauth_flows', keys: ['state_hash'], column: 'code_verifier_sealed' },
];

export interface ResealResult {
  /** `<table>.<column>` → values sealed again */
  resealed: Record<string, number>;
  /** values that changed while being re-sealed (left as they are; run again) */
  skipped: number;
}

/** Seals again, with the ring's sealing key, every value sealed with another key of the ring. */
export async function resealSecrets(db: Kysely<Database>, secrets: SecretBox): Promise<ResealResult> {
  const plain = db.withoutPlugins();
  const result: ResealResult = { resealed: {}, skipped: 0 };
  for (const { table, keys, column } of SEALED_COLUMNS) {
    const name = `${table}.${column}`;
    const current = `v1.${secrets.sealingKey}.%`;
    const rows = await sql<Record<string, string>>`
      select ${sql.join(keys.map((k) => sql.ref(k)))}, ${sql.ref(column)} as sealed
      from ${sql.table(table)} where ${sql.ref(column)} not like ${current}`.execute(plain);
    let count = 0;
    for (const row of rows.rows) {
      const old = String(row.sealed);
      let opened: string;
      try {
        opened = secrets.open(old);
      } catch (e) {
        const where = keys.map((k) => `${k}=${row[k]}`).join(', ');
        throw new AppError(
          'failed_precondition',
          `${name} (${where}) cannot be opened: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      const fresh = secrets.seal(opened);
      if (secrets.open(fresh) !== opened)
        throw new AppError('internal', `re-sealing ${name} did not round-trip`);
      const conditions = [
        ...keys.map((k) => sql`${sql.ref(k)} = ${row[k]}`),
        sql`${sql.ref(column)} = ${old}`,
      ];
      const updated = await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${fresh}
        where ${sql.join(conditions, sql` and `)}`.execute(plain);
      if (Number(updated.numAffectedRows ?? 0n) === 1) count++;
      else result.skipped++;
    }
    result.resealed[name] = count;
  }
  return result;
}
