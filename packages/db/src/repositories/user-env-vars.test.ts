// Users' environment variables on SQLite and on MariaDB: upsert by (user, name, pattern), ownership,
// lookup by repository.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserId } from '@atelier/protocol';
import type { DatabaseHandle } from '../connect.js';
import { migrateToLatest } from '../migrations/migrate.js';
import { dialectTargets, TestClock } from '../testing/dialects.js';
import { Repositories } from './repositories.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

for (const target of fixture.targets) {
  describe(`user env vars on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    let handle: DatabaseHandle;
    let repos: Repositories;
    let alice: UserId;
    let bob: UserId;
    before(async () => {
      handle = await target.open();
      await migrateToLatest(handle.db);
      repos = new Repositories(handle.db, clock.now);
      alice = (await repos.users.create({ name: 'alice', passwordHash: 'x', admin: false })).id;
      bob = (await repos.users.create({ name: 'bob', passwordHash: 'x', admin: false })).id;
    });
    after(() => handle?.close());

    test('upsert creates, then replaces the value of the same name and pattern, keeping id and createdAt', async () => {
      const t0 = clock.now().toISOString();
      const first = await repos.envVars.upsert(alice, 'TOKEN', '*/*', 'sealed-1');
      assert.equal(first.created, true);
      clock.advance(60_000);
      const second = await repos.envVars.upsert(alice, 'TOKEN', '*/*', 'sealed-2');
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
      const other = await repos.envVars.upsert(alice, 'TOKEN', 'acme/app', 'sealed-3');
      assert.equal(other.created, true, 'another pattern is another variable');
      assert.notEqual(other.envVar.id, first.envVar.id);
    });

    test('concurrent upserts of one variable leave one row with one of the values', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => repos.envVars.upsert(bob, 'RACE', 'x/y', `v${i}`)),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      const rows = (await repos.envVars.list(bob)).filter((v) => v.name === 'RACE');
      assert.equal(rows.length, 1);
      assert.match(rows[0]?.valueSealed ?? '', /^v[0-5]$/);
    });

    test('list is per user, by name then pattern', async () => {
      await repos.envVars.upsert(alice, 'A_FIRST', 'z/z', 's');
      const names = (await repos.envVars.list(alice)).map((v) => `${v.name} ${v.repositoryPattern}`);
      assert.deepEqual(names, ['A_FIRST z/z', 'TOKEN */*', 'TOKEN acme/app']);
      assert.ok((await repos.envVars.list(bob)).every((v) => v.userId === bob));
    });

    test("delete removes only the caller's variable", async () => {
      const { envVar } = await repos.envVars.upsert(alice, 'GONE', '*/*', 's');
      assert.equal(await repos.envVars.delete(bob, envVar.id), false, "bob cannot delete alice's");
      assert.ok((await repos.envVars.list(alice)).some((v) => v.id === envVar.id));
      assert.equal(await repos.envVars.delete(alice, envVar.id), true);
      assert.equal(await repos.envVars.delete(alice, envVar.id), false);
      assert.ok(!(await repos.envVars.list(alice)).some((v) => v.id === envVar.id));
    });

    test('forRepository returns every matching candidate, none of other repositories or users', async () => {
      const carol = (await repos.users.create({ name: 'carol', passwordHash: 'x', admin: false })).id;
      await repos.envVars.upsert(carol, 'X', '*/*', 'all');
      await repos.envVars.upsert(carol, 'X', 'acme/*', 'owner');
      await repos.envVars.upsert(carol, 'X', 'acme/app', 'exact');
      await repos.envVars.upsert(carol, 'Y', 'other/app', 'other');
      await repos.envVars.upsert(bob, 'X', '*/*', 'bob');
      const found = await repos.envVars.forRepository(carol, 'Acme/App');
      assert.deepEqual(found.map((v) => `${v.name}=${v.valueSealed}`).sort(), [
        'X=all',
        'X=exact',
        'X=owner',
      ]);
      assert.deepEqual(
        (await repos.envVars.forRepository(carol, 'other/app')).map((v) => v.valueSealed),
        ['all', 'other'],
      );
    });

    test('names and patterns are compared exactly (utf8mb4_bin on MySQL)', async () => {
      const dave = (await repos.users.create({ name: 'dave', passwordHash: 'x', admin: false })).id;
      await repos.envVars.upsert(dave, 'Case', '*/*', 'a');
      const upper = await repos.envVars.upsert(dave, 'CASE', '*/*', 'b');
      assert.equal(upper.created, true, 'CASE and Case are two variables, as in a shell');
      assert.equal((await repos.envVars.list(dave)).length, 2);
    });
  });
}
