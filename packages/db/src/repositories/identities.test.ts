// Identities, SCM tokens and OAuth flows on SQLite and on MariaDB: an account links to one user, a
// token is replaced in place, a flow's state is used once and not after it expires.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { UserId } from '@atelier/protocol';
import { dialectTargets, repositoriesFor, TestClock } from '../testing/dialects.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

const ALICE = 'b0000000-0000-4000-8000-00000000000a' as UserId;
const BOB = 'b0000000-0000-4000-8000-00000000000b' as UserId;

for (const target of fixture.targets) {
  describe(`identities on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    const db = repositoriesFor(target, clock);

    test('an account links to one user; a later sign-in updates login and email; another user is refused', async () => {
      const first = await db.repos.identities.link({
        providerId: 'github',
        subject: '1001',
        userId: ALICE,
        login: 'alice',
        email: 'alice@example.com',
      });
      assert.equal(first.lastSigninAt, first.createdAt);
      clock.advance(5000);
      const again = await db.repos.identities.link({
        providerId: 'github',
        subject: '1001',
        userId: ALICE,
        login: 'alice-renamed',
        email: null,
      });
      assert.deepEqual([again.login, again.email, again.createdAt], ['alice-renamed', null, first.createdAt]);
      assert.notEqual(again.lastSigninAt, first.lastSigninAt);
      await assert.rejects(
        db.repos.identities.link({
          providerId: 'github',
          subject: '1001',
          userId: BOB,
          login: 'x',
          email: null,
        }),
        { code: 'conflict', message: /belongs to another user/ },
      );
      await db.repos.identities.link({
        providerId: 'gitlab',
        subject: '7',
        userId: ALICE,
        login: 'al',
        email: null,
      });
      assert.deepEqual(
        (await db.repos.identities.listForUser(ALICE)).map((i) => `${i.providerId}:${i.login}`),
        ['github:alice-renamed', 'gitlab:al'],
      );
    });

    test('a token is stored and replaced in place; unlinking removes it', async () => {
      const token = { providerId: 'github', subject: '1001', scopes: 'read:user', expiresAt: null };
      await db.repos.scmTokens.put({ ...token, tokenSealed: 'sealed-1' });
      await db.repos.scmTokens.put({ ...token, tokenSealed: 'sealed-2', scopes: 'read:user repo' });
      const stored = await db.repos.scmTokens.get('github', '1001');
      assert.deepEqual([stored?.tokenSealed, stored?.scopes], ['sealed-2', 'read:user repo']);
      assert.equal(await db.repos.identities.unlink(BOB, 'github', '1001'), false, 'not Bob’s to unlink');
      assert.equal(await db.repos.identities.unlink(ALICE, 'github', '1001'), true);
      assert.equal(await db.repos.scmTokens.get('github', '1001'), undefined);
    });

    test('a flow is consumed once; a replay, an unknown state or an expired flow finds nothing', async () => {
      const flow = {
        providerId: 'github',
        codeVerifierSealed: 'v',
        returnTo: '/',
        userId: null,
        scopes: 'read:user',
        ttlMs: 600_000,
      };
      await db.repos.oauthFlows.create({ ...flow, stateHash: 'a'.repeat(64) });
      const taken = await db.repos.oauthFlows.consume('a'.repeat(64));
      assert.equal(taken?.providerId, 'github');
      assert.equal(await db.repos.oauthFlows.consume('a'.repeat(64)), undefined, 'replayed');
      assert.equal(await db.repos.oauthFlows.consume('b'.repeat(64)), undefined, 'unknown');
      await db.repos.oauthFlows.create({ ...flow, stateHash: 'c'.repeat(64) });
      clock.advance(600_001);
      assert.equal(await db.repos.oauthFlows.consume('c'.repeat(64)), undefined, 'expired');
      clock.advance(86_400_000);
      assert.equal(await db.repos.oauthFlows.prune(), 2);
    });
  });
}
