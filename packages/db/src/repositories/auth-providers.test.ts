// Administrators' sign-in providers on SQLite and on MariaDB: ids and hosts are unique (the conflict
// names the holder), a change keeps the id, and a delete takes the accounts linked under the id along.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { UserId } from '@atelier/protocol';
import { dialectTargets, repositoriesFor, TestClock } from '../testing/dialects.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

const row = (id: string, host: string) => ({
  id,
  host,
  type: 'GitHub',
  scheme: 'https',
  clientId: `${id}-client`,
  clientSecretSealed: 'v1.k.sealed',
  issuer: null,
  createdBy: null,
});

for (const target of fixture.targets) {
  describe(`auth providers on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    const db = repositoriesFor(target, clock);

    test('created, listed by id, read; a taken id or host is a conflict naming it', async () => {
      const { authProviders } = db.repos;
      const corp = await authProviders.create(row('corp', 'github.corp.example'));
      assert.equal(corp.createdAt, clock.now().toISOString());
      await authProviders.create(row('a-lab', 'gitlab.example.com:8443/git'));
      assert.deepEqual(
        (await authProviders.list()).map((p) => [p.id, p.host, p.scheme]),
        [
          ['a-lab', 'gitlab.example.com:8443/git', 'https'],
          ['corp', 'github.corp.example', 'https'],
        ],
      );
      assert.deepEqual(await authProviders.get('corp'), corp);
      assert.equal(await authProviders.get('nope'), undefined);
      await assert.rejects(authProviders.create(row('corp', 'other.example')), {
        code: 'conflict',
        message: 'a sign-in provider with id corp exists already: choose another id',
      });
      await assert.rejects(authProviders.create(row('corp2', 'github.corp.example')), {
        code: 'conflict',
        message: 'host github.corp.example belongs to sign-in provider corp already: change that one instead',
      });
    });

    test('an update changes the given fields and the time; a taken host is a conflict', async () => {
      const { authProviders } = db.repos;
      clock.advance(60_000);
      const changed = await authProviders.update('corp', { clientId: 'new-client', scheme: 'http' });
      assert.equal(changed?.clientId, 'new-client');
      assert.equal(changed?.scheme, 'http');
      assert.equal(changed?.host, 'github.corp.example');
      assert.equal(changed?.updatedAt, clock.now().toISOString());
      assert.notEqual(changed?.createdAt, changed?.updatedAt);
      assert.equal(await authProviders.update('nope', { clientId: 'x' }), undefined);
      await assert.rejects(authProviders.update('corp', { host: 'gitlab.example.com:8443/git' }), {
        code: 'conflict',
        message:
          'host gitlab.example.com:8443/git belongs to sign-in provider a-lab already: change that one instead',
      });
    });

    test('a delete takes the linked accounts and their tokens along, not other providers’', async () => {
      const { authProviders, users, identities, scmTokens } = db.repos;
      const ada = await users.create({ name: 'ada', passwordHash: null, admin: false });
      const bob = await users.create({ name: 'bob', passwordHash: null, admin: false });
      for (const [user, subject] of [
        [ada.id, '1'],
        [bob.id, '2'],
      ] as [UserId, string][]) {
        await identities.link({ providerId: 'corp', subject, userId: user, login: subject, email: null });
        await scmTokens.put({
          providerId: 'corp',
          subject,
          tokenSealed: 't',
          scopes: '',
          expiresAt: null,
        });
      }
      await identities.link({ providerId: 'a-lab', subject: '1', userId: ada.id, login: 'ada', email: null });
      assert.deepEqual(await authProviders.linkedAccounts('corp'), { count: 2, userNames: ['ada', 'bob'] });
      assert.deepEqual(await authProviders.linkedAccounts('none'), { count: 0, userNames: [] });
      assert.deepEqual([...(await authProviders.linkedAccountCounts())].sort(), [
        ['a-lab', 1],
        ['corp', 2],
      ]);

      assert.equal(await authProviders.delete('corp'), true);
      assert.equal(await authProviders.delete('corp'), false, 'gone already');
      assert.equal(await identities.find('corp', '1'), undefined);
      assert.equal(await scmTokens.get('corp', '2'), undefined);
      assert.ok(await identities.find('a-lab', '1'), 'another provider’s account stays');
      assert.deepEqual(
        (await authProviders.list()).map((p) => p.id),
        ['a-lab'],
      );
    });
  });
}
