// SecretBox sealing, key rotation and tampering; the key file; bearer tokens and their hashes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AppError } from '@atelier/protocol';
import { hashToken, KEY_FILE_NAME, loadKeyRing, newSecretToken, SecretBox } from './secrets.js';

const scratch = mkdtempSync(join(tmpdir(), 'atelier-secrets-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const key = () => randomBytes(32);
const internal = (pattern: RegExp) => (e: unknown) =>
  e instanceof AppError && e.code === 'internal' && pattern.test(e.message);

describe('SecretBox', () => {
  const k1 = { id: 'k1', key: key() };
  const k2 = { id: 'k2', key: key() };

  test('seals to v1.<keyId>.<iv>.<tag>.<data> and opens again; every seal differs', () => {
    const box = new SecretBox([k1]);
    const plain = 'gho_secret token ✓';
    const sealed = box.seal(plain);
    assert.match(sealed, /^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes(plain));
    assert.notEqual(box.seal(plain), sealed);
    assert.equal(box.open(sealed), plain);
    assert.equal(box.open(box.seal('')), '');
  });

  test('rotation: the first key seals, an older key still opens what it sealed', () => {
    const old = new SecretBox([k1]).seal('old secret');
    const rotated = new SecretBox([k2, k1]);
    assert.equal(rotated.open(old), 'old secret');
    assert.match(rotated.seal('new'), /^v1\.k2\./);
    assert.throws(
      () => new SecretBox([k2]).open(old),
      internal(/sealed with key k1, which is not in the key ring — add key k1 back/),
    );
  });

  test('tampering with any part is detected and the message shows no data', () => {
    const box = new SecretBox([k1, { id: 'k3', key: k1.key }]);
    const sealed = box.seal('payload-that-must-not-leak');
    const [v, id, iv, tag, data] = sealed.split('.') as [string, string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const altered of [
      [v, id, flip(iv), tag, data],
      [v, id, iv, flip(tag), data],
      [v, id, iv, tag, flip(data)],
      [v, 'k3', iv, tag, data],
    ]) {
      assert.throws(
        () => box.open(altered.join('.')),
        (e: unknown) =>
          internal(/failed authentication: it was altered/)(e) &&
          !(e as Error).message.includes(data) &&
          !(e as Error).message.includes('payload'),
      );
    }
    assert.throws(() => box.open('not-sealed'), internal(/malformed/));
    assert.throws(() => box.open(`v2.${id}.${iv}.${tag}.${data}`), internal(/malformed/));
  });

  test('keys must be 32 bytes with unique, well-formed ids', () => {
    const invalid = (pattern: RegExp) => (e: unknown) =>
      e instanceof AppError && e.code === 'invalid_argument' && pattern.test(e.message);
    assert.throws(() => new SecretBox([]), invalid(/key ring is empty/));
    assert.throws(
      () => new SecretBox([{ id: 'short', key: randomBytes(16) }]),
      invalid(/key short has 16 bytes/),
    );
    assert.throws(() => new SecretBox([k1, k1]), invalid(/appears twice/));
    assert.throws(() => new SecretBox([{ id: 'Bad.Id', key: key() }]), invalid(/key id "Bad.Id"/));
  });
});

describe('loadKeyRing', () => {
  test('uses configured base64 keys and names a bad one', async () => {
    const k = key();
    const box = await loadKeyRing([{ id: 'prod', key: k.toString('base64') }], join(scratch, 'unused'));
    assert.equal(new SecretBox([{ id: 'prod', key: k }]).open(box.seal('x')), 'x');
    for (const bad of [randomBytes(31).toString('base64'), 'not base64!', `${k.toString('base64')}AAAA`]) {
      await assert.rejects(
        loadKeyRing([{ id: 'prod', key: bad }], scratch),
        (e: unknown) =>
          e instanceof AppError &&
          e.code === 'invalid_argument' &&
          /encryption key prod must be/.test(e.message),
      );
    }
    await assert.rejects(loadKeyRing([], scratch), /auth\.encryptionKeys is empty/);
  });

  test('without configured keys, creates <dataDir>/secret-keys.json with mode 0600 and reuses it', async () => {
    const dataDir = join(scratch, 'data');
    const first = await loadKeyRing(undefined, dataDir);
    const path = join(dataDir, KEY_FILE_NAME);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(path, 'utf8')) as { keys: { id: string; key: string }[] };
    assert.equal(file.keys.length, 1);
    assert.equal(file.keys[0]?.id, 'k1');
    assert.equal(Buffer.from(file.keys[0]?.key ?? '', 'base64').length, 32);
    const sealed = first.seal('kept across restarts');
    const second = await loadKeyRing(undefined, dataDir);
    assert.equal(second.open(sealed), 'kept across restarts');
    assert.match(sealed, /^v1\.k1\./);
  });

  test('concurrent first uses agree on one key', async () => {
    const dataDir = join(scratch, 'race');
    const boxes = await Promise.all(Array.from({ length: 5 }, () => loadKeyRing(undefined, dataDir)));
    const sealed = boxes[0]?.seal('same key') ?? '';
    for (const box of boxes) assert.equal(box.open(sealed), 'same key');
  });

  test('a damaged key file is an error, never silently replaced', async () => {
    const dataDir = join(scratch, 'damaged');
    await loadKeyRing(undefined, dataDir);
    writeFileSync(join(dataDir, KEY_FILE_NAME), '{"keys": "nope"}');
    await assert.rejects(loadKeyRing(undefined, dataDir), /is not a key file/);
    assert.equal(readFileSync(join(dataDir, KEY_FILE_NAME), 'utf8'), '{"keys": "nope"}');
  });
});

describe('tokens', () => {
  test('newSecretToken is the prefix and 32 random bytes in base64url; hashToken is sha256 hex', () => {
    const token = newSecretToken('atl_');
    assert.match(token, /^atl_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newSecretToken('atl_'), token);
    assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.match(hashToken(token), /^[0-9a-f]{64}$/);
  });
});
