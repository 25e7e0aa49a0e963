// SSH keys through the API (added from a real ssh-keygen key, listed, refused with a reason, deleted
// by their owner only) and the workspace-wide share switch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type SshKeyDto, type WorkspaceDto, workspaceConfigSchema } from '@atelier/protocol';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describe('SSH keys and sharing', () => {
  let t: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'ssh-key-routes-'));
  before(async () => {
    t = await startTestServer({
      checkRepository: async () =>
        workspaceConfigSchema.parse({ origin: 'gitpod', file: '.gitpod.yml', image: { kind: 'default' } }),
    });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const keygen = (name: string) => {
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `${name}@laptop`,
      '-f',
      join(dir, name),
    ]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8');
  };

  test('add (named after the comment, or as asked), list, refuse a duplicate and a private key, delete', async () => {
    const { client } = await t.userClient('alice');
    const { client: bob } = await t.userClient('bob');
    const first = keygen('first');
    const added = await client.call<SshKeyDto>('POST', '/api/v1/user/ssh-keys', { publicKey: first });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.body.name, 'first@laptop');
    assert.equal(added.body.algorithm, 'ssh-ed25519');
    assert.match(added.body.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(added.body.lastUsedAt, null);
    const named = await client.call<SshKeyDto>('POST', '/api/v1/user/ssh-keys', {
      name: ' desk ',
      publicKey: keygen('second'),
    });
    assert.equal(named.body.name, 'desk');

    const again = await client.call<{ message: string }>('POST', '/api/v1/user/ssh-keys', {
      publicKey: first,
    });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /is added already as "first@laptop"/);
    const secret = await client.call<{ message: string }>('POST', '/api/v1/user/ssh-keys', {
      publicKey: readFileSync(join(dir, 'first'), 'utf8'),
    });
    assert.equal(secret.status, 400);
    assert.match(secret.body.message, /private key/);
    assert.ok(!t.logs.join('\n').includes('PRIVATE KEY'), 'the pasted private key is not logged');
    const empty = await client.call('POST', '/api/v1/user/ssh-keys', { publicKey: ' ' });
    assert.equal(empty.status, 400);
    assert.match(empty.text, /publicKey is empty/);

    const list = await client.call<SshKeyDto[]>('GET', '/api/v1/user/ssh-keys');
    assert.deepEqual(
      list.body.map((k) => k.name),
      ['first@laptop', 'desk'],
    );
    assert.deepEqual((await bob.call<SshKeyDto[]>('GET', '/api/v1/user/ssh-keys')).body, []);
    assert.equal((await bob.call('DELETE', `/api/v1/user/ssh-keys/${added.body.id}`)).status, 404);
    assert.equal((await client.call('DELETE', `/api/v1/user/ssh-keys/${added.body.id}`)).status, 204);
    assert.deepEqual(
      (await client.call<SshKeyDto[]>('GET', '/api/v1/user/ssh-keys')).body.map((k) => k.name),
      ['desk'],
    );
  });

  test('sharing: off at first, on and off by the owner; nobody else may switch it or see it', async () => {
    const { client: owner } = await t.userClient('carol');
    const { client: other } = await t.userClient('dave');
    const created = await owner.call<{ id: string }>('POST', '/api/v1/workspaces', {
      contextUrl: 'https://example.com/carol/site.git',
    });
    assert.equal(created.status, 201, created.text);
    const path = `/api/v1/workspaces/${created.body.id}`;
    assert.equal((await owner.call<WorkspaceDto>('GET', path)).body.shared, false);
    const on = await owner.call<WorkspaceDto>('PUT', `${path}/sharing`, { shared: true });
    assert.equal(on.status, 200, on.text);
    assert.equal(on.body.shared, true);
    assert.equal((await owner.call<WorkspaceDto>('GET', path)).body.shared, true);
    assert.equal((await other.call('PUT', `${path}/sharing`, { shared: false })).status, 404);
    assert.equal((await owner.call<WorkspaceDto>('GET', path)).body.shared, true, 'unchanged by dave');
    const bad = await owner.call<{ message: string }>('PUT', `${path}/sharing`, { shared: 'yes' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /shared must be true \(anyone with the URL\) or false/);
    assert.equal(
      (await owner.call<WorkspaceDto>('PUT', `${path}/sharing`, { shared: false })).body.shared,
      false,
    );
  });
});
