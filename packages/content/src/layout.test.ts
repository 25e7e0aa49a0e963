// Bucket and key names of workspace content.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@atelier/protocol';
import { backupKey, userBucket } from './layout.js';
import { checkBucket } from './storage/names.js';

describe('userBucket', () => {
  const rows: [string, string | RegExp][] = [
    ['0b7e3c1a-1111-4000-8000-000000000001', 'atelier-user-0b7e3c1a-1111-4000-8000-000000000001'],
    ['0B7E3C1A-1111-4000-8000-00000000000A', 'atelier-user-0b7e3c1a-1111-4000-8000-00000000000a'],
    ['alice', 'atelier-user-alice'],
    ['Alice_Smith', /^atelier-user-alice-smith-[0-9a-f]{12}$/],
    ['alice--smith', /^atelier-user-alice-smith-[0-9a-f]{12}$/],
    ['___', /^atelier-user-[0-9a-f]{12}$/],
    ['x'.repeat(100), /^atelier-user-x{37}-[0-9a-f]{12}$/],
  ];
  for (const [id, expected] of rows) {
    it(`maps ${JSON.stringify(id.slice(0, 40))}`, () => {
      const bucket = userBucket(id);
      if (typeof expected === 'string') assert.equal(bucket, expected);
      else assert.match(bucket, expected);
      checkBucket(bucket);
    });
  }

  it('never gives two ids that had to be cleaned up the same bucket', () => {
    assert.notEqual(userBucket('a_b'), userBucket('a.b'));
    assert.notEqual(userBucket(`${'x'.repeat(80)}1`), userBucket(`${'x'.repeat(80)}2`));
  });

  it('refuses an empty id', () => {
    assert.throws(
      () => userBucket(''),
      (e: unknown) => e instanceof AppError && e.code === 'invalid_argument',
    );
  });
});

describe('backupKey', () => {
  it('follows the Gitpod layout', () => {
    assert.equal(backupKey('amber-otter-abcd1234'), 'workspaces/amber-otter-abcd1234/full.tar.zst');
  });
  for (const id of ['', '../x', 'a/b', '..']) {
    it(`refuses ${JSON.stringify(id)}`, () => {
      assert.throws(
        () => backupKey(id),
        (e: unknown) => e instanceof AppError && e.code === 'invalid_argument',
      );
    });
  }
});
