// Users, sessions, access tokens, workspaces, backups and settings, on SQLite and on MariaDB.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AppError, type UserId, type WorkspaceId } from '@atelier/protocol';
import { hashToken } from '../secrets.js';
import { dialectTargets, repositoriesFor, TestClock } from '../testing/dialects.js';

const fixture = await dialectTargets();
after(() => fixture.stop());

const HOUR = 3_600_000;
const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

for (const target of fixture.targets) {
  describe(`repositories on ${target.dialect}`, { skip: target.skip }, () => {
    const clock = new TestClock();
    const db = repositoriesFor(target, clock);

    test('users: names are unique and case-insensitive, flags are booleans', async () => {
      const before = await db.repos.users.count();
      const alice = await db.repos.users.create({ name: 'Alice', passwordHash: 'h1', admin: true });
      assert.equal(alice.name, 'alice');
      assert.deepEqual(await db.repos.users.findByName('ALICE'), alice);
      assert.deepEqual(await db.repos.users.get(alice.id), {
        id: alice.id,
        name: 'alice',
        passwordHash: 'h1',
        admin: true,
        blocked: false,
        preferences: null,
        createdAt: clock.now().toISOString(),
      });
      await assert.rejects(
        db.repos.users.create({ name: 'aLiCe', passwordHash: null, admin: false }),
        (e: unknown) => isCode('conflict')(e) && /a user named alice exists/.test((e as Error).message),
      );
      assert.equal(await db.repos.users.count(), before + 1);
      assert.equal(await db.repos.users.get('00000000-0000-0000-0000-000000000000' as UserId), undefined);
      const blocked = await db.repos.users.update(alice.id, { blocked: true, admin: false });
      assert.deepEqual([blocked.blocked, blocked.admin], [true, false]);
      assert.ok((await db.repos.users.list()).some((u) => u.id === alice.id && u.blocked));
      await assert.rejects(
        db.repos.users.update('00000000-0000-0000-0000-000000000000' as UserId, { admin: true }),
        isCode('not_found'),
      );
    });

    test('sessions: found until they expire by the clock, never for a blocked user', async () => {
      const user = await db.repos.users.create({ name: 'sessions-user', passwordHash: null, admin: false });
      const tokenHash = hashToken('session-token');
      const expiresAt = new Date(clock.now().getTime() + HOUR).toISOString();
      await db.repos.sessions.create({ tokenHash, userId: user.id, expiresAt });
      const found = await db.repos.sessions.findValid(tokenHash);
      assert.equal(found?.user.id, user.id);
      assert.equal(found?.user.admin, false);
      assert.deepEqual(found?.session, {
        tokenHash,
        userId: user.id,
        createdAt: clock.now().toISOString(),
        expiresAt,
        lastSeenAt: clock.now().toISOString(),
      });
      assert.equal(await db.repos.sessions.findValid(hashToken('other')), undefined);

      clock.advance(HOUR / 2);
      await db.repos.sessions.touch(tokenHash);
      assert.equal(
        (await db.repos.sessions.findValid(tokenHash))?.session.lastSeenAt,
        clock.now().toISOString(),
      );

      await db.repos.users.update(user.id, { blocked: true });
      assert.equal(await db.repos.sessions.findValid(tokenHash), undefined);
      await db.repos.users.update(user.id, { blocked: false });
      assert.ok(await db.repos.sessions.findValid(tokenHash));

      clock.advance(HOUR / 2);
      assert.equal(await db.repos.sessions.findValid(tokenHash), undefined, 'expired at expiresAt');
      const live = hashToken('live-session');
      const later = new Date(clock.now().getTime() + HOUR).toISOString();
      await db.repos.sessions.create({ tokenHash: live, userId: user.id, expiresAt: later });
      assert.ok((await db.repos.sessions.deleteExpired()) >= 1);
      assert.ok(await db.repos.sessions.findValid(live));
      await db.repos.sessions.delete(live);
      assert.equal(await db.repos.sessions.findValid(live), undefined);
    });

    test('access tokens: lookup by hash, expiry, and deletion scoped to the owner', async () => {
      const owner = await db.repos.users.create({ name: 'token-owner', passwordHash: null, admin: false });
      const other = await db.repos.users.create({ name: 'token-other', passwordHash: null, admin: false });
      const forever = await db.repos.tokens.create({
        userId: owner.id,
        name: 'cli',
        tokenHash: hashToken('t1'),
      });
      assert.equal(forever.expiresAt, null);
      clock.advance(1);
      const expiresAt = new Date(clock.now().getTime() + HOUR).toISOString();
      const short = await db.repos.tokens.create({
        userId: owner.id,
        name: 'ci',
        tokenHash: hashToken('t2'),
        expiresAt,
      });
      const found = await db.repos.tokens.findValid(hashToken('t1'));
      assert.deepEqual(found?.token, forever);
      assert.equal(found?.user.id, owner.id);
      assert.deepEqual(
        (await db.repos.tokens.listForUser(owner.id)).map((t) => t.name),
        ['ci', 'cli'],
        'newest first',
      );
      assert.deepEqual(await db.repos.tokens.listForUser(other.id), []);

      clock.advance(HOUR);
      assert.equal(await db.repos.tokens.findValid(hashToken('t2')), undefined, 'expired');
      assert.ok(await db.repos.tokens.findValid(hashToken('t1')), 'no expiry');
      await db.repos.tokens.touch(forever.id);
      assert.equal(
        (await db.repos.tokens.findValid(hashToken('t1')))?.token.lastUsedAt,
        clock.now().toISOString(),
      );

      assert.equal(await db.repos.tokens.delete(short.id, other.id), false, "another user's token stays");
      assert.equal((await db.repos.tokens.listForUser(owner.id)).length, 2);
      assert.equal(await db.repos.tokens.delete(short.id, owner.id), true);
      assert.equal(await db.repos.tokens.delete(short.id, owner.id), false);
      assert.deepEqual(
        (await db.repos.tokens.listForUser(owner.id)).map((t) => t.id),
        [forever.id],
      );
    });

    test('workspaces: newest first per owner, marked deleted, then removed', async () => {
      const owner = 'a0000000-0000-4000-8000-000000000001' as UserId;
      const base = {
        ownerId: owner,
        contextUrl: 'https://h/o/r',
        cloneUrl: 'https://h/o/r.git',
        description: 'o/r',
      };
      const first = await db.repos.workspaces.create({
        ...base,
        id: 'o-r-aaaaaaaa' as WorkspaceId,
        ref: null,
      });
      clock.advance(1000);
      const config = JSON.stringify({ origin: 'gitpod', tasks: [{ command: 'x'.repeat(70_000) }] });
      const second = await db.repos.workspaces.create({
        ...base,
        id: 'o-r-bbbbbbbb' as WorkspaceId,
        ref: 'main',
        config,
      });
      assert.deepEqual(second, {
        ...base,
        id: 'o-r-bbbbbbbb',
        ref: 'main',
        config,
        contextEnv: null,
        shared: 0,
        timeoutMs: null,
        context: null,
        createdAt: clock.now().toISOString(),
        deletedAt: null,
      });
      assert.equal(
        (await db.repos.workspaces.get(second.id))?.config,
        config,
        'a config over 64 KiB is kept whole',
      );
      assert.equal(first.config, null);
      await assert.rejects(
        db.repos.workspaces.create({ ...base, id: first.id, ref: null }),
        isCode('conflict'),
      );
      assert.deepEqual(await db.repos.workspaces.get(first.id), first);
      assert.deepEqual(
        (await db.repos.workspaces.listByOwner(owner)).map((w) => w.id),
        [second.id, first.id],
      );

      clock.advance(1000);
      const deletedAt = clock.now().toISOString();
      await db.repos.workspaces.markDeleted(first.id);
      clock.advance(1000);
      await db.repos.workspaces.markDeleted(first.id);
      assert.equal(await db.repos.workspaces.get(first.id), undefined);
      assert.equal((await db.repos.workspaces.get(first.id, { includeDeleted: true }))?.deletedAt, deletedAt);
      assert.deepEqual(
        (await db.repos.workspaces.listByOwner(owner)).map((w) => w.id),
        [second.id],
      );
      assert.deepEqual(
        (await db.repos.workspaces.listMarkedDeleted()).map((w) => w.id),
        [first.id],
      );
      await assert.rejects(
        db.repos.workspaces.markDeleted('no-such-workspace1' as WorkspaceId),
        isCode('not_found'),
      );
      assert.equal(await db.repos.workspaces.hardDelete(first.id), true);
      assert.equal(await db.repos.workspaces.hardDelete(first.id), false);
      assert.deepEqual(await db.repos.workspaces.listMarkedDeleted(), []);
    });

    test('backups: sizes above 2^32 round-trip, the newest verified one is the one to restore', async () => {
      const ws = 'o-r-backups1' as WorkspaceId;
      const common = { workspaceId: ws, bucket: 'atelier-user-x', sha256: 'a'.repeat(64) };
      const instanceId = 'b0000000-0000-4000-8000-000000000001' as never;
      const big = 2 ** 40 + 7;
      const verified = await db.repos.backups.create({
        ...common,
        instanceId,
        objectKey: `workspaces/${ws}/full.tar`,
        size: big,
        verifiedAt: clock.now().toISOString(),
      });
      clock.advance(1000);
      const unverified = await db.repos.backups.create({
        ...common,
        instanceId,
        objectKey: 'x',
        size: 1,
        verifiedAt: null,
      });
      const latest = await db.repos.backups.latestVerified(ws);
      assert.deepEqual(latest, verified);
      assert.equal(typeof latest?.size, 'number');
      assert.equal(latest?.size, big);
      assert.deepEqual(
        (await db.repos.backups.listForWorkspace(ws)).map((b) => b.id),
        [unverified.id, verified.id],
      );
      assert.equal(await db.repos.backups.latestVerified('o-r-nobackup' as WorkspaceId), undefined);
      await assert.rejects(
        db.repos.backups.create({ ...common, instanceId, objectKey: 'y', size: 1.5, verifiedAt: null }),
        isCode('invalid_argument'),
      );
      assert.equal(await db.repos.backups.deleteForWorkspace(ws), 2);
      assert.deepEqual(await db.repos.backups.listForWorkspace(ws), []);
    });

    test('settings: upsert, delete, and setIfAbsent wins exactly once among 10 concurrent callers', async () => {
      assert.equal(await db.repos.settings.get('greeting'), undefined);
      await db.repos.settings.set('greeting', 'hello');
      await db.repos.settings.set('greeting', 'hello again');
      assert.equal(await db.repos.settings.get('greeting'), 'hello again');
      assert.equal(
        await db.repos.settings.get('GREETING'),
        undefined,
        'names are case-sensitive on both dialects',
      );
      assert.equal(await db.repos.settings.delete('greeting'), true);
      assert.equal(await db.repos.settings.delete('greeting'), false);
      assert.equal(await db.repos.settings.get('greeting'), undefined);

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => db.repos.settings.setIfAbsent('setup-code', `code-${i}`)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.equal(await db.repos.settings.get('setup-code'), `code-${winner}`);
    });
  });
}
