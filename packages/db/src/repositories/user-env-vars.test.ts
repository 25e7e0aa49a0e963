// Users' environment variables on SQLite and on MariaDB: upsert by (user, name, pattern), ownership,
// lookup by repository.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserId } from '@atelier/protocol';
import { dialectTargets, repositoriesFor, TestClock } from '../testing/dialects.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

for (const target of fixture.targets) {
  describe(`user env vars on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    const db = repositoriesFor(target, clock);
    let alice: UserId;
    let bob: UserId;
    before(async () => {
      alice = (await db.repos.users.create({ name: 'alice', passwordHash: 'x', admin: false })).id;
      bob = (await db.repos.users.create({ name: 'bob', passwordHash: 'x', admin: false })).id;
    });

    test('upsert creates, then replaces the value of the same name and pattern, keeping id and createdAt', async () => {
      const t0 = clock.now().toISOString();
      const first = await db.repos.envVars.upsert(alice, 'TOKEN', '*/*', 'sealed-1');
      assert.equal(first.created, true);
      clock.advance(60_000);
      const second = await db.repos.envVars.upsert(alice, 'TOKEN', '*/*', 'sealed-2');
      assert.equal(second.created, false);
      assert.deepEqual(second.envVar, {
        id: first.envVar.id,
        userId: alice,
        name: 'TOKEN',
        repositoryPattern: '*/*',
        valueSealed: 'sealed-2',
        createdAt: t0,
        updatedAt: clock.now().toISOString(),
      });
      const other = await db.repos.envVars.upsert(alice, 'TOKEN', 'acme/app', 'sealed-3');
      assert.equal(other.created, true, 'another pattern is another variable');
      assert.notEqual(other.envVar.id, first.envVar.id);
    });

    test('concurrent upserts of one variable leave one row with one of the values', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => db.repos.envVars.upsert(bob, 'RACE', 'x/y', `v${i}`)),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      const rows = (await db.repos.envVars.list(bob)).filter((v) => v.name === 'RACE');
      assert.equal(rows.length, 1);
      assert.match(rows[0]?.valueSealed ?? '', /^v[0-5]$/);
    });

    test('list is per user, by name then pattern', async () => {
      await db.repos.envVars.upsert(alice, 'A_FIRST', 'z/z', 's');
      const names = (await db.repos.envVars.list(alice)).map((v) => `${v.name} ${v.repositoryPattern}`);
      assert.deepEqual(names, ['A_FIRST z/z', 'TOKEN */*', 'TOKEN acme/app']);
      assert.ok((await db.repos.envVars.list(bob)).every((v) => v.userId === bob));
    });

    test("delete removes only the caller's variable", async () => {
      const { envVar } = await db.repos.envVars.upsert(alice, 'GONE', '*/*', 's');
      assert.equal(await db.repos.envVars.delete(bob, envVar.id), false, "bob cannot delete alice's");
      assert.ok((await db.repos.envVars.list(alice)).some((v) => v.id === envVar.id));
      assert.equal(await db.repos.envVars.delete(alice, envVar.id), true);
      assert.equal(await db.repos.envVars.delete(alice, envVar.id), false);
      assert.ok(!(await db.repos.envVars.list(alice)).some((v) => v.id === envVar.id));
    });

    test('forRepository returns every matching candidate, none of other repositories or users', async () => {
      const carol = (await db.repos.users.create({ name: 'carol', passwordHash: 'x', admin: false })).id;
      await db.repos.envVars.upsert(carol, 'X', '*/*', 'all');
      await db.repos.envVars.upsert(carol, 'X', 'acme/*', 'owner');
      await db.repos.envVars.upsert(carol, 'X', 'acme/app', 'exact');
      await db.repos.envVars.upsert(carol, 'Y', 'other/app', 'other');
      await db.repos.envVars.upsert(bob, 'X', '*/*', 'bob');
      const found = await db.repos.envVars.forRepository(carol, 'Acme/App');
      assert.deepEqual(found.map((v) => `${v.name}=${v.valueSealed}`).sort(), [
        'X=all',
        'X=exact',
        'X=owner',
      ]);
      assert.deepEqual(
        (await db.repos.envVars.forRepository(carol, 'other/app')).map((v) => v.valueSealed),
        ['all', 'other'],
      );
    });

    test('names and patterns are compared exactly (utf8mb4_bin on MySQL)', async () => {
      const dave = (await db.repos.users.create({ name: 'dave', passwordHash: 'x', admin: false })).id;
      await db.repos.envVars.upsert(dave, 'Case', '*/*', 'a');
      const upper = await db.repos.envVars.upsert(dave, 'CASE', '*/*', 'b');
      assert.equal(upper.created, true, 'CASE and Case are two variables, as in a shell');
      assert.equal((await db.repos.envVars.list(dave)).length, 2);
    });
  });
}
