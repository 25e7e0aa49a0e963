// Key rotation on SQLite and MariaDB: with a new key first in the ring, every secret at rest — SCM
// tokens, provider secrets, variables, instance tokens, sign-in verifiers — opens as before, is
// sealed again with the new key, and then opens without the old key; a second run has nothing to do.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { UserId, WorkspaceId } from '@atelier/protocol';
import { sql } from 'kysely';
import { migrateToLatest } from './migrations/migrate.js';
import { Repositories } from './repositories/repositories.js';
import { resealSecrets, SEALED_COLUMNS } from './reseal.js';
import { SecretBox } from './secrets.js';
import { dialectTargets } from './testing/dialects.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

const OLD = { id: 'k1', key: randomBytes(32) };
const NEW = { id: 'k2', key: randomBytes(32) };

for (const target of fixture.targets) {
  describe(`re-sealing secrets on ${target.dialect}`, { skip: target.skip }, () => {
    test('old-key secrets move to the new key and open without the old one; nothing is lost', async () => {
      const handle = await target.open();
      try {
        await migrateToLatest(handle.db);
        const repos = new Repositories(handle.db);
        const before = new SecretBox([OLD]);
        const user = await repos.users.create({ name: 'ada', passwordHash: null, admin: false });
        await repos.scmTokens.put({
          providerId: 'gh',
          subject: '7',
          tokenSealed: before.seal('{"accessToken":"gho_secret"}'),
          scopes: 'repo',
          expiresAt: null,
        });
        await repos.envVars.upsert(user.id, 'API_KEY', '*/*', before.seal('var-value'));
        await repos.authProviders.create({
          id: 'corp',
          host: 'git.example.com',
          type: 'GitLab',
          scheme: 'https',
          clientId: 'c',
          clientSecretSealed: before.seal('client-secret'),
          issuer: null,
          createdBy: null,
        });
        await repos.oauthFlows.create({
          stateHash: 'a'.repeat(64),
          providerId: 'corp',
          codeVerifierSealed: before.seal('verifier'),
          returnTo: '/',
          userId: null,
          scopes: '',
          ttlMs: 600_000,
        });
        await repos.workspaces.create({
          id: 'o-r-abcdefghij' as WorkspaceId,
          ownerId: user.id as UserId,
          contextUrl: 'u',
          cloneUrl: 'u',
          ref: null,
          description: 'd',
        });
        await repos.instances.create({
          workspaceId: 'o-r-abcdefghij' as WorkspaceId,
          phase: 'stopped',
          desiredPhase: 'stopped',
          ownerTokenSealed: before.seal('owner-token'),
          supervisorTokenSealed: before.seal('supervisor-token'),
          image: 'i',
        });
        const values = async () => {
          const all: string[] = [];
          for (const { table, column } of SEALED_COLUMNS) {
            const rows = await sql<{
              v: string;
            }>`select ${sql.ref(column)} as v from ${sql.table(table)}`.execute(handle.db.withoutPlugins());
            all.push(...rows.rows.map((r) => r.v));
          }
          return all;
        };
        const sealedBefore = await values();
        assert.equal(sealedBefore.length, SEALED_COLUMNS.length, 'one value in every sealed column');

        const rotated = new SecretBox([NEW, OLD]);
        const result = await resealSecrets(handle.db, rotated);
        assert.equal(result.skipped, 0);
        assert.deepEqual(
          Object.values(result.resealed).reduce((a, b) => a + b, 0),
          SEALED_COLUMNS.length,
          JSON.stringify(result),
        );
        const onlyNew = new SecretBox([NEW]);
        const opened = (await values()).map((v) => onlyNew.open(v));
        assert.deepEqual(
          opened.sort(),
          sealedBefore.map((v) => before.open(v)).sort(),
          'every secret opens to the same text with the new key alone',
        );
        const again = await resealSecrets(handle.db, rotated);
        assert.equal(
          Object.values(again.resealed).reduce((a, b) => a + b, 0),
          0,
          'nothing left to do',
        );

        // a value sealed with a key that left the ring stops the run, naming where it is
        await repos.scmTokens.put({
          providerId: 'gh',
          subject: '8',
          tokenSealed: new SecretBox([{ id: 'k0', key: randomBytes(32) }]).seal('lost'),
          scopes: '',
          expiresAt: null,
        });
        await assert.rejects(
          resealSecrets(handle.db, rotated),
          /scm_tokens\.token_sealed \(provider_id=gh, subject=8\).*key k0/,
        );
      } finally {
        await handle.close();
      }
    });
  });
}
