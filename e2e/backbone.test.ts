// End to end on Podman: a workspace from a git http-backend repository runs, serves a port to its
// owner only, survives stop/start with a ≥100 MB tree intact, and survives kill -9 of atelier.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FsObjectStorage } from '@atelier/content';
import Database from 'better-sqlite3';
import { AtelierProcess } from './harness/atelier.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request, waitForPhase as waitForWorkspacePhase } from './harness/http.js';
import { TerminalSession } from './harness/terminal.js';
import { manifest, podmanExec, WRITE_ROOT_FILE, WRITE_TREE } from './harness/tree.js';

interface Ws {
  id: string;
  url: string;
  instance: { id: string; phase: string; failed: string | null; message: string | null } | null;
  lastBackup: { objectKey: string; sha256: string; size: number; instanceId: string } | null;
  ports: { port: number; url: string }[];
}

let git: GitServer;
let atelier: AtelierProcess;
let alice: string;
let bob: string;

const waitForPhase = (token: string, id: string, phase: string, timeoutMs = 120_000) =>
  waitForWorkspacePhase<Ws>(atelier.url, token, id, phase, { timeoutMs, failFast: phase === 'running' });

const ownerToken = async (token: string, id: string) =>
  (await api<{ ownerToken: string }>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}/owner-token`))
    .ownerToken;
const container = (ws: Ws) => `atelier-ws-${ws.instance?.id}`;

describe('workspace backbone (Podman, git http-backend)', { timeout: 900_000 }, () => {
  let ws: Ws;
  let before100: Awaited<ReturnType<typeof manifest>>;

  before(async () => {
    git = await startGitServer();
    createRepo(git.root, 'hello', { 'README.md': 'hello from the repo\n', 'src/main.py': 'print("hi")\n' });
    atelier = await AtelierProcess.start({ name: 'backbone' });
    alice = await atelier.createUser('alice', true);
    bob = await atelier.createUser('bob');
  });

  after(async () => {
    await atelier?.dispose();
    await git?.close();
  });

  test('a workspace from a repository on loopback reaches running; its files show in the terminal', async () => {
    const created = await api<{ id: string; instanceId: string; phase: string; url: string }>(
      atelier.url,
      alice,
      'POST',
      '/api/v1/workspaces',
      { contextUrl: `${git.url}/hello.git` },
    );
    assert.match(created.id, /^[a-z]+-hello-[a-z0-9]{11}$/, 'an IP address as owner gives way to a word');
    assert.equal(created.url, `http://${created.id}.ws.localhost:${atelier.port}`);
    ws = await waitForPhase(alice, created.id, 'running');
    const term = await TerminalSession.open(ws.url, await ownerToken(alice, ws.id));
    term.type('pwd; cat README.md; id -un\n');
    await term.waitFor(/\/workspace\/hello[\s\S]*hello from the repo[\s\S]*gitpod/);
    term.close();
  });

  test('a server in the workspace answers on its port host for the owner only', async () => {
    const token = await ownerToken(alice, ws.id);
    const term = await TerminalSession.open(ws.url, token);
    term.type('(python3 -m http.server 8000 >/tmp/http.log 2>&1 &); echo started\n');
    await term.waitFor(/started/);
    term.close();
    const portUrl = `http://8000-${ws.id}.ws.localhost:${atelier.port}/`;
    let reply = await request(portUrl, { headers: { 'x-atelier-owner-token': token } });
    for (let i = 0; i < 50 && reply.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      reply = await request(portUrl, { headers: { 'x-atelier-owner-token': token } });
    }
    assert.equal(reply.status, 200);
    assert.match(reply.body, /README\.md/);
    // the cookie a browser gets from the workspace host works too
    const minted = await request(`${ws.url}/_atelier/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(token)}&return=%2F`,
    });
    assert.equal(minted.status, 303);
    const cookie = String(minted.headers['set-cookie']?.[0]).split(';')[0] as string;
    assert.equal((await request(portUrl, { headers: { cookie } })).status, 200);
    // nobody else: no credential → 401; bob's API token → 401; a wrong owner token → 403
    assert.equal((await request(portUrl)).status, 401);
    assert.equal((await request(portUrl, { headers: { authorization: `Bearer ${bob}` } })).status, 401);
    assert.equal(
      (await request(portUrl, { headers: { 'x-atelier-owner-token': 'x'.repeat(32) } })).status,
      403,
    );
    await assert.rejects(ownerToken(bob, ws.id), /404/);
    const listed = await api<Ws>(atelier.url, alice, 'GET', `/api/v1/workspaces/${ws.id}`);
    assert.ok(listed.ports.some((p) => p.port === 8000));
  });

  test('stop backs up a ≥100 MB tree; start restores it exactly', async () => {
    await podmanExec(container(ws), 'gitpod', WRITE_TREE);
    await podmanExec(container(ws), '0', WRITE_ROOT_FILE);
    before100 = await manifest(container(ws));
    const bytes = before100.reduce((n, e) => n + (e.size ?? 0), 0);
    assert.ok(bytes >= 100_000_000, `tree is only ${bytes} bytes`);
    await api(atelier.url, alice, 'POST', `/api/v1/workspaces/${ws.id}/stop`);
    const stopped = await waitForPhase(alice, ws.id, 'stopped');
    assert.ok(stopped.lastBackup, 'a backup is recorded');
    const object = await readObject(storedObject(stopped));
    assert.deepEqual(object, { sha256: stopped.lastBackup.sha256, size: stopped.lastBackup.size });
    await api(atelier.url, alice, 'POST', `/api/v1/workspaces/${ws.id}/start`);
    ws = await waitForPhase(alice, ws.id, 'running');
    assert.deepEqual(await manifest(container(ws)), before100);
  });

  test('kill -9 of atelier while a workspace runs: after a restart it is still running and reachable', async () => {
    await atelier.kill9();
    await atelier.launch();
    const again = await waitForPhase(alice, ws.id, 'running', 10_000);
    assert.equal(again.instance?.id, ws.instance?.id, 'the same instance was re-adopted');
    const term = await TerminalSession.open(ws.url, await ownerToken(alice, ws.id));
    term.type('cat hello/untracked.txt\n');
    await term.waitFor(/untracked/);
    term.close();
  });

  test('kill -9 in the middle of a backup: the stop completes after a restart, no partial backup recorded', async () => {
    const backupsBefore = backupRows();
    await podmanExec(container(ws), 'gitpod', 'echo after-restore > tree/after-restore.txt');
    const expected = await manifest(container(ws));
    await api(atelier.url, alice, 'POST', `/api/v1/workspaces/${ws.id}/stop`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = await api<Ws>(atelier.url, alice, 'GET', `/api/v1/workspaces/${ws.id}`);
      if (now.instance?.message === 'saving /workspace') break;
      assert.notEqual(now.instance?.phase, 'stopped', 'the backup finished before it could be interrupted');
      assert.ok(Date.now() < deadline, 'the backup never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    await atelier.kill9();
    assert.deepEqual(backupRows(), backupsBefore, 'no backup was recorded by the interrupted stop');
    await atelier.launch();
    const stopped = await waitForPhase(alice, ws.id, 'stopped');
    assert.equal(backupRows().length, backupsBefore.length + 1);
    assert.equal((await readObject(storedObject(stopped)))?.sha256, stopped.lastBackup?.sha256);
    await api(atelier.url, alice, 'POST', `/api/v1/workspaces/${ws.id}/start`);
    ws = await waitForPhase(alice, ws.id, 'running');
    assert.deepEqual(await manifest(container(ws)), expected);
  });

  test('a recorded backup that cannot be read fails the start loudly; nothing starts from a fresh clone', async () => {
    await api(atelier.url, alice, 'POST', `/api/v1/workspaces/${ws.id}/stop`);
    const stopped = await waitForPhase(alice, ws.id, 'stopped');
    const object = storedObject(stopped);
    const { Readable } = await import('node:stream');
    await storage().put(object.bucket, object.key, Readable.from([Buffer.from('not the backup')]));
    await api(atelier.url, alice, 'POST', `/api/v1/workspaces/${ws.id}/start`);
    let now: Ws | undefined;
    for (let i = 0; i < 300 && !now?.instance?.failed; i++) {
      await new Promise((r) => setTimeout(r, 200));
      now = await api<Ws>(atelier.url, alice, 'GET', `/api/v1/workspaces/${ws.id}`);
    }
    assert.match(
      now?.instance?.failed ?? '',
      /backup of this workspace could not be restored: .*corrupt.*nothing was started from a fresh clone/,
    );
    await waitForPhase(alice, ws.id, 'stopped');
    assert.equal(backupRows().length > 0, true, 'the backup records are kept');
  });

  test('delete removes the workspace, its container, volume and backups', async () => {
    const object = storedObject(await api<Ws>(atelier.url, alice, 'GET', `/api/v1/workspaces/${ws.id}`));
    await api(atelier.url, alice, 'DELETE', `/api/v1/workspaces/${ws.id}`);
    assert.equal(
      (
        await request(`${atelier.url}/api/v1/workspaces/${ws.id}`, {
          headers: { authorization: `Bearer ${alice}` },
        })
      ).status,
      404,
    );
    assert.equal(await readObject(object), undefined, 'the backup object is gone');
    const { execFileSync } = await import('node:child_process');
    const left = execFileSync('podman', ['ps', '-a', '--filter', `name=${container(ws)}`, '-q'])
      .toString()
      .trim();
    assert.equal(left, '', 'the container is gone');
    const vols = execFileSync('podman', ['volume', 'ls', '-q', '--filter', `name=${container(ws)}`])
      .toString()
      .trim();
    assert.equal(vols, '', 'the volume is gone');
    assert.equal(backupRows().length, 0);
  });
});

/** The recorded backup's object, read through the storage driver Atelier wrote it with. */
function storedObject(w: Ws): { bucket: string; key: string } {
  assert.ok(w.lastBackup, 'the workspace has a backup');
  const db = new Database(join(atelier.dataDir, 'atelier.db'), { readonly: true });
  try {
    const row = db
      .prepare('select bucket from backups where object_key = ? order by created_at desc')
      .get(w.lastBackup.objectKey) as { bucket: string };
    return { bucket: row.bucket, key: w.lastBackup.objectKey };
  } finally {
    db.close();
  }
}

const storage = () => new FsObjectStorage(join(atelier.dataDir, 'storage'));

/** sha256 and size of the stored bytes, or undefined when the object does not exist. */
async function readObject(o: { bucket: string; key: string }) {
  if (!(await storage().head(o.bucket, o.key))) return undefined;
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await storage().get(o.bucket, o.key)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

function backupRows(): { id: string; sha256: string }[] {
  const db = new Database(join(atelier.dataDir, 'atelier.db'), { readonly: true });
  try {
    return db.prepare('select id, sha256 from backups order by created_at').all() as {
      id: string;
      sha256: string;
    }[];
  } finally {
    db.close();
  }
}
