// Port visibility overrides on SQLite and on MariaDB: upsert, concurrent writers, deletion per workspace.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { PortVisibility, WorkspaceId } from '@atelier/protocol';
import { dialectTargets, repositoriesFor, TestClock } from '../testing/dialects.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

const WS = 'o-r-ports0001' as WorkspaceId;
const OTHER = 'o-r-ports0002' as WorkspaceId;

for (const target of fixture.targets) {
  describe(`workspace ports on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    const db = repositoriesFor(target, clock);

    test('set inserts, then replaces the visibility and its time; list is per workspace, by port', async () => {
      assert.deepEqual(await db.repos.ports.list(WS), []);
      const t0 = clock.now().toISOString();
      assert.deepEqual(await db.repos.ports.set(WS, 8001, 'public'), {
        workspaceId: WS,
        port: 8001,
        visibility: 'public',
        updatedAt: t0,
      });
      await db.repos.ports.set(WS, 3000, 'public');
      await db.repos.ports.set(OTHER, 8001, 'private');
      clock.advance(1000);
      const t1 = clock.now().toISOString();
      await db.repos.ports.set(WS, 8001, 'private');
      assert.deepEqual(await db.repos.ports.list(WS), [
        { workspaceId: WS, port: 3000, visibility: 'public', updatedAt: t0 },
        { workspaceId: WS, port: 8001, visibility: 'private', updatedAt: t1 },
      ]);
      assert.deepEqual(await db.repos.ports.list(OTHER), [
        { workspaceId: OTHER, port: 8001, visibility: 'private', updatedAt: t0 },
      ]);
    });

    test('concurrent sets of one port leave exactly one row holding one of the values', async () => {
      const ws = 'o-r-ports0003' as WorkspaceId;
      const values: PortVisibility[] = ['public', 'private', 'public', 'private', 'public', 'private'];
      await Promise.all(values.map((v) => db.repos.ports.set(ws, 5000, v)));
      const rows = await db.repos.ports.list(ws);
      assert.equal(rows.length, 1);
      assert.ok(values.includes(rows[0]?.visibility as PortVisibility));
      await db.repos.ports.set(ws, 5000, 'public');
      assert.equal((await db.repos.ports.list(ws))[0]?.visibility, 'public', 'the last write wins');
    });

    test('deleteForWorkspace removes only that workspace’s overrides', async () => {
      const ws = 'o-r-ports0004' as WorkspaceId;
      await db.repos.ports.set(ws, 1, 'public');
      await db.repos.ports.set(ws, 65535, 'public');
      assert.equal(await db.repos.ports.deleteForWorkspace(ws), 2);
      assert.deepEqual(await db.repos.ports.list(ws), []);
      assert.equal(await db.repos.ports.deleteForWorkspace(ws), 0);
      assert.equal((await db.repos.ports.list(OTHER)).length, 1);
    });
  });
}
