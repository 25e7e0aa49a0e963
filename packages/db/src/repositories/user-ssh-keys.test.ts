// SSH keys and the share switch on SQLite and on MariaDB.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { UserId, WorkspaceId } from '@atelier/protocol';
import { dialectTargets, repositoriesFor, TestClock } from '../testing/dialects.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

const ALICE = 'a0000000-0000-4000-8000-00000000000a' as UserId;
const BOB = 'a0000000-0000-4000-8000-00000000000b' as UserId;
const KEY = { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK', fingerprint: 'SHA256:abc' };

for (const target of fixture.targets) {
  describe(`ssh keys and sharing on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    const db = repositoriesFor(target, clock);

    test('a key is added once per user, listed oldest first, deleted by its owner only', async () => {
      const laptop = await db.repos.sshKeys.add({ userId: ALICE, name: 'laptop', ...KEY });
      clock.advance(1000);
      const desk = await db.repos.sshKeys.add({
        userId: ALICE,
        name: 'desk',
        publicKey: 'ssh-ed25519 AAAAother',
        fingerprint: 'SHA256:def',
      });
      // the same key for another user is that user's own
      await db.repos.sshKeys.add({ userId: BOB, name: 'shared machine', ...KEY });
      await assert.rejects(db.repos.sshKeys.add({ userId: ALICE, name: 'again', ...KEY }), {
        code: 'conflict',
        message: 'this key (SHA256:abc) is added already as "laptop"',
      });
      assert.deepEqual(
        (await db.repos.sshKeys.list(ALICE)).map((k) => [k.name, k.lastUsedAt]),
        [
          ['laptop', null],
          ['desk', null],
        ],
      );
      await db.repos.sshKeys.markUsed(ALICE, 'SHA256:abc');
      assert.equal((await db.repos.sshKeys.list(ALICE))[0]?.lastUsedAt, clock.now().toISOString());
      assert.equal((await db.repos.sshKeys.list(BOB))[0]?.lastUsedAt, null, "bob's copy is untouched");
      assert.equal(await db.repos.sshKeys.delete(BOB, laptop.id), false, 'not his key');
      assert.equal(await db.repos.sshKeys.delete(ALICE, laptop.id), true);
      assert.deepEqual(
        (await db.repos.sshKeys.list(ALICE)).map((k) => k.id),
        [desk.id],
      );
    });

    test('the share switch: off when created, on and off again; a deleted workspace is not changed', async () => {
      const id = 'o-r-share001' as WorkspaceId;
      const ws = await db.repos.workspaces.create({
        id,
        ownerId: ALICE,
        contextUrl: 'https://h/o/r',
        cloneUrl: 'https://h/o/r.git',
        ref: null,
        description: 'o/r',
      });
      assert.equal(ws.shared, 0);
      assert.equal(await db.repos.workspaces.setShared(id, true), true);
      assert.equal((await db.repos.workspaces.get(id))?.shared, 1);
      assert.equal(await db.repos.workspaces.setShared(id, false), true);
      assert.equal((await db.repos.workspaces.get(id))?.shared, 0);
      await db.repos.workspaces.markDeleted(id);
      assert.equal(await db.repos.workspaces.setShared(id, true), false);
      assert.equal(await db.repos.workspaces.setShared('o-r-missing01' as WorkspaceId, true), false);
    });
  });
}
