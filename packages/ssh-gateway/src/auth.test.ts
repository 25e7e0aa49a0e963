// User names, owner keys and host keys of the SSH gateway.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { matchingKey, sshUserSchema } from './auth.js';
import { loadOrCreateHostKeys } from './host-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'ssh-gateway-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('sshUserSchema', () => {
  it('a workspace id, with an owner token after # or not', () => {
    assert.deepEqual(sshUserSchema.parse('amber-fox-1234abcd'), {
      workspaceId: 'amber-fox-1234abcd',
      token: undefined,
    });
    assert.deepEqual(sshUserSchema.parse('amber-fox-1234abcd#tok_en-0123456789'), {
      workspaceId: 'amber-fox-1234abcd',
      token: 'tok_en-0123456789',
    });
  });
  it('anything else is refused', () => {
    for (const name of [
      'root',
      '',
      'amber-fox-1234abcd#',
      'amber-fox-1234abcd#short',
      'amber-fox-1234abcd#a b c d e f g h',
      '../etc/passwd',
      `amber-fox-1234abcd#${'x'.repeat(600)}`,
    ]) {
      assert.equal(sshUserSchema.safeParse(name).success, false, name);
    }
  });
});

describe('matchingKey', () => {
  const keygen = (name: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  };
  it('finds the owner key that the client offers, by its blob; another key is no match', () => {
    const mine = keygen('mine');
    const other = keygen('other');
    const offered = ssh2.utils.parseKey(mine) as ssh2.ParsedKey;
    const found = matchingKey(['not a key', other, mine], {
      algo: offered.type,
      data: offered.getPublicSSH(),
    });
    assert.ok(found);
    assert.equal(found.getPublicSSH().equals(offered.getPublicSSH()), true);
    const stranger = ssh2.utils.parseKey(keygen('stranger')) as ssh2.ParsedKey;
    assert.equal(
      matchingKey([mine, other], { algo: stranger.type, data: stranger.getPublicSSH() }),
      undefined,
    );
  });
});

describe('loadOrCreateHostKeys', () => {
  it('makes ed25519 and RSA keys once (0600) and loads the same ones after', async () => {
    const keys = join(dir, 'host');
    const first = await loadOrCreateHostKeys({ dir: keys });
    assert.equal(first.length, 2);
    assert.equal(statSync(join(keys, 'ssh_host_ed25519_key')).mode & 0o777, 0o600);
    const again = await loadOrCreateHostKeys({ dir: keys });
    assert.deepEqual(again, first);
    const fingerprint = execFileSync('ssh-keygen', [
      '-l',
      '-f',
      join(keys, 'ssh_host_ed25519_key.pub'),
    ]).toString();
    assert.match(fingerprint, /^256 SHA256:\S+ .*\(ED25519\)/);
  });

  it('loads the configured files; a file that is not a private key is named', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'given')]);
    const [key] = await loadOrCreateHostKeys({ dir: join(dir, 'unused'), files: [join(dir, 'given')] });
    assert.deepEqual(key, readFileSync(join(dir, 'given')));
    writeFileSync(join(dir, 'junk'), 'hello');
    await assert.rejects(loadOrCreateHostKeys({ dir, files: [join(dir, 'junk')] }), {
      code: 'invalid_argument',
      message: new RegExp(`^ssh host key ${join(dir, 'junk')}: .*make one with ssh-keygen`),
    });
    await assert.rejects(
      loadOrCreateHostKeys({ dir, files: [join(dir, 'missing')] }),
      /cannot be read: ENOENT/,
    );
  });
});
