// Workspace instances on SQLite and on MariaDB: phase times, compare-and-set transitions, JSON columns.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AppError, type InstanceId, type WorkspaceId } from '@atelier/protocol';
import { dialectTargets, repositoriesFor, TestClock } from '../testing/dialects.js';
import { MAX_CHUNK_CHARS } from './instance-logs.js';
import type { NewInstance } from './instances.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

const UNKNOWN = 'f0000000-0000-4000-8000-000000000000' as InstanceId;
const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

function newInstance(workspaceId: string): NewInstance {
  return {
    workspaceId: workspaceId as WorkspaceId,
    phase: 'preparing',
    desiredPhase: 'running',
    ownerTokenSealed: 'v1.k1.owner',
    supervisorTokenSealed: 'v1.k1.supervisor',
    image: 'localhost/atelier-workspace:bookworm',
  };
}

for (const target of fixture.targets) {
  describe(`instances on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    const db = repositoriesFor(target, clock);

    test('create records the first phase time and reads back as written', async () => {
      const created = await db.repos.instances.create({
        ...newInstance('o-r-create01'),
        contentSource: 'git',
      });
      const t0 = clock.now().toISOString();
      assert.deepEqual(created.phaseTimes, { preparing: t0 });
      assert.equal(created.version, 0);
      assert.deepEqual(await db.repos.instances.get(created.id), {
        ...newInstance('o-r-create01'),
        id: created.id,
        phaseTimes: { preparing: t0 },
        createdAt: t0,
        failed: null,
        message: null,
        stoppedReason: null,
        contentSource: 'git',
        runtime: null,
        lastActivityAt: null,
        lastActivitySource: null,
        ideClosedAt: null,
        workspaceTokenHash: null,
        version: 0,
      });
      const chosen = 'c0000000-0000-4000-8000-000000000001' as InstanceId;
      assert.equal(
        (await db.repos.instances.create({ ...newInstance('o-r-create01'), id: chosen })).id,
        chosen,
      );
      assert.equal(await db.repos.instances.get(UNKNOWN), undefined);
    });

    test('transition records when each phase was first entered and bumps the version', async () => {
      const { id } = await db.repos.instances.create(newInstance('o-r-phases01'));
      const t0 = clock.now().toISOString();
      clock.advance(1000);
      const t1 = clock.now().toISOString();
      const creating = await db.repos.instances.transition(id, 'creating', { message: 'pulling image' });
      assert.deepEqual(creating.phaseTimes, { preparing: t0, creating: t1 });
      assert.equal(creating.message, 'pulling image');
      assert.equal(creating.version, 1);
      clock.advance(1000);
      const t2 = clock.now().toISOString();
      await db.repos.instances.transition(id, 'running', { message: null, contentSource: 'backup' });
      clock.advance(1000);
      await db.repos.instances.transition(id, 'unknown');
      clock.advance(1000);
      const again = await db.repos.instances.transition(id, 'running');
      assert.deepEqual(again.phaseTimes, {
        preparing: t0,
        creating: t1,
        running: t2,
        unknown: again.phaseTimes.unknown,
      });
      const read = await db.repos.instances.get(id);
      assert.deepEqual(read, again);
      assert.deepEqual(
        [read?.phase, read?.message, read?.contentSource, read?.version],
        ['running', null, 'backup', 4],
      );
      await assert.rejects(db.repos.instances.transition(UNKNOWN, 'stopped'), isCode('not_found'));
    });

    test('transitionIf loses when the phase has moved, and only one of many concurrent callers wins', async () => {
      const { id } = await db.repos.instances.create(newInstance('o-r-compare1'));
      await db.repos.instances.transition(id, 'running');
      const stopping = await db.repos.instances.transitionIf(id, ['running'], 'stopping', {
        stoppedReason: 'user',
      });
      assert.equal(stopping?.phase, 'stopping');
      assert.equal(stopping?.stoppedReason, 'user');
      assert.equal(await db.repos.instances.transitionIf(id, ['running', 'creating'], 'stopping'), undefined);
      assert.equal(await db.repos.instances.transitionIf(id, [], 'stopped'), undefined);
      assert.equal((await db.repos.instances.get(id))?.phase, 'stopping', 'the losing call changed nothing');

      const { id: raced } = await db.repos.instances.create(newInstance('o-r-compare2'));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          db.repos.instances.transitionIf(raced, ['preparing'], 'pending', { message: `winner ${i}` }),
        ),
      );
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      assert.deepEqual(await db.repos.instances.get(raced), winners[0]);
      await assert.rejects(
        db.repos.instances.transitionIf(UNKNOWN, ['running'], 'stopping'),
        isCode('not_found'),
      );
    });

    test('concurrent updates and transitions lose no field', async () => {
      const { id } = await db.repos.instances.create(newInstance('o-r-concur01'));
      await Promise.all([
        db.repos.instances.update(id, { lastActivityAt: '2030-01-02T00:00:00.000Z' }),
        db.repos.instances.transition(id, 'pending'),
        db.repos.instances.update(id, { message: 'hello' }),
        db.repos.instances.transition(id, 'creating'),
        db.repos.instances.update(id, { runtime: { containerId: 'abc' } }),
      ]);
      const read = await db.repos.instances.get(id);
      assert.equal(read?.lastActivityAt, '2030-01-02T00:00:00.000Z');
      assert.equal(read?.message, 'hello');
      assert.deepEqual(read?.runtime, { containerId: 'abc' });
      assert.deepEqual(Object.keys(read?.phaseTimes ?? {}).sort(), ['creating', 'pending', 'preparing']);
      assert.equal(read?.version, 5);
    });

    test('update round-trips the JSON runtime and keeps fields it was not given', async () => {
      const { id } = await db.repos.instances.create(newInstance('o-r-update01'));
      const runtime = {
        kind: 'docker',
        containerId: 'c1',
        ports: [22999, 3000],
        nested: { ok: true, none: null },
      };
      const updated = await db.repos.instances.update(id, {
        runtime,
        desiredPhase: 'stopped',
        failed: 'image pull failed: check the image name',
        image: 'img:2',
      });
      assert.deepEqual(updated.runtime, runtime);
      assert.deepEqual(await db.repos.instances.get(id), updated);
      const cleared = await db.repos.instances.update(id, { runtime: null, message: 'x' });
      assert.equal(cleared.runtime, null);
      assert.equal(cleared.desiredPhase, 'stopped');
      assert.equal(cleared.failed, 'image pull failed: check the image name');
      assert.deepEqual(await db.repos.instances.get(id), cleared);
      await assert.rejects(db.repos.instances.update(UNKNOWN, { message: 'x' }), isCode('not_found'));
    });

    test('latest per workspace, not-stopped listing, and deletion per workspace', async () => {
      const ws = 'o-r-latest01';
      const older = await db.repos.instances.create(newInstance(ws));
      await db.repos.instances.transition(older.id, 'stopped');
      clock.advance(1000);
      const newer = await db.repos.instances.create(newInstance(ws));
      assert.equal((await db.repos.instances.latestForWorkspace(ws as WorkspaceId))?.id, newer.id);
      assert.equal(await db.repos.instances.latestForWorkspace('o-r-nothing1' as WorkspaceId), undefined);
      const notStopped = (await db.repos.instances.listNotStopped()).map((i) => i.id);
      assert.ok(notStopped.includes(newer.id));
      assert.ok(!notStopped.includes(older.id));
      assert.equal(await db.repos.instances.deleteForWorkspace(ws as WorkspaceId), 2);
      assert.equal(await db.repos.instances.get(newer.id), undefined);
    });

    test('logs: chunks numbered in order under concurrent appends, followed from a position, deleted with the workspace', async () => {
      const { id } = await db.repos.instances.create(newInstance('o-r-logs0001'));
      const other = await db.repos.instances.create(newInstance('o-r-logs0002'));
      assert.equal(await db.repos.logs.lastSeq(id, 'image-build'), -1);
      const seqs = await Promise.all(
        Array.from({ length: 12 }, (_, i) => db.repos.logs.append(id, 'image-build', `line ${i}\n`)),
      );
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        [...Array(12).keys()],
      );
      const text = await db.repos.logs.text(id, 'image-build');
      assert.equal(text.split('\n').filter(Boolean).length, 12);
      const tail = await db.repos.logs.read(id, 'image-build', 9);
      assert.deepEqual(
        tail.map((r) => r.seq),
        [10, 11],
      );
      const big = 'x'.repeat(MAX_CHUNK_CHARS + 10);
      assert.equal(await db.repos.logs.append(id, 'task-0', big), 1, 'a long text is split into two chunks');
      assert.equal((await db.repos.logs.text(id, 'task-0')).length, big.length);
      await db.repos.logs.append(other.id, 'task-0', 'kept');
      assert.deepEqual(await db.repos.logs.streams(id), ['image-build', 'task-0']);
      await db.repos.logs.deleteForWorkspace('o-r-logs0001' as WorkspaceId);
      assert.deepEqual(await db.repos.logs.streams(id), []);
      assert.equal(await db.repos.logs.text(other.id, 'task-0'), 'kept');
    });
  });
}
