import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.js';

describe('passwords', () => {
  test('a hash is in the scrypt$N$r$p$salt$hash format and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery');
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    assert.equal(await verifyPassword('correct horse battery', hash), true);
    assert.equal(await verifyPassword('correct horse batterY', hash), false);
  });

  test('two hashes of one password differ (random salt)', async () => {
    assert.notEqual(await hashPassword('same password'), await hashPassword('same password'));
  });

  test('malformed or tampered hashes never verify', async () => {
    const hash = await hashPassword('secret-password');
    const parts = hash.split('$');
    for (const bad of [
      '',
      'bcrypt$1$2$3$4$5',
      hash.replace('scrypt', 'scrypT'),
      [...parts.slice(0, 1), String(2 ** 30), ...parts.slice(2)].join('$'),
      [...parts.slice(0, 5), 'AAAA'].join('$'),
      `${hash}$extra`,
    ]) {
      assert.equal(await verifyPassword('secret-password', bad), false, bad);
    }
  });
});
