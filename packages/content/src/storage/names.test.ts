// Table-driven checks of the bucket, key and prefix rules every storage driver shares.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@atelier/protocol';
import { checkBucket, checkKey, checkMetadata, checkPrefix } from './names.js';

const rejects = (fn: () => void, pattern: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => err instanceof AppError && err.code === 'invalid_argument' && pattern.test(err.message),
  );

describe('bucket names', () => {
  const valid = ['abc', 'atelier-user-0b7e3c1a-1111-4000-8000-000000000001', 'a'.repeat(63), '123'];
  const invalid: [string, RegExp][] = [
    ['ab', /2 characters long, not 3–63/],
    ['a'.repeat(64), /64 characters long/],
    ['Abc', /only lowercase letters/],
    ['-abc', /start and end with a letter or digit/],
    ['abc-', /start and end/],
    ['a.bc', /only lowercase letters, digits and hyphens/],
    ['a_bc', /only lowercase/],
    ['a--b', /two hyphens in a row/],
    ['', /0 characters long/],
  ];
  for (const name of valid) it(`accepts ${JSON.stringify(name)}`, () => checkBucket(name));
  for (const [name, pattern] of invalid)
    it(`rejects ${JSON.stringify(name)}`, () => rejects(() => checkBucket(name), pattern));
});

describe('object keys', () => {
  const valid = ['a', 'workspaces/w1/full.tar.zst', '@meta.json', 'a/.hidden', 'ä/ü', 'x'.repeat(1024)];
  const invalid: [string, RegExp][] = [
    ['', /it is empty/],
    ['/abs', /starts with "\/"/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['a/./b', /"\." segment/],
    ['../etc/passwd', /"\.\." segment/],
    ['a/..', /"\.\." segment/],
    ['a\0b', /NUL/],
    ['a\\b', /backslash/],
    ['x'.repeat(1025), /longer than 1024 bytes/],
    ['ä'.repeat(513), /longer than 1024 bytes/],
  ];
  for (const key of valid) it(`accepts ${JSON.stringify(key.slice(0, 40))}`, () => checkKey(key));
  for (const [key, pattern] of invalid) {
    it(`rejects ${JSON.stringify(key.slice(0, 40))}`, () => rejects(() => checkKey(key), pattern));
  }
});

describe('key prefixes', () => {
  for (const prefix of ['', 'workspaces/', 'workspaces/w', 'a/.', 'a/..x']) {
    it(`accepts ${JSON.stringify(prefix)}`, () => checkPrefix(prefix));
  }
  for (const [prefix, pattern] of [
    ['/a', /starts with/],
    ['a//', /empty segment/],
    ['../a', /"\.\." segment/],
  ] as const) {
    it(`rejects ${JSON.stringify(prefix)}`, () => rejects(() => checkPrefix(prefix), pattern));
  }
});

describe('metadata', () => {
  it('accepts short ASCII names and values', () =>
    checkMetadata({ workspaceId: 'w-1', instance_id: 'abc def' }));
  it('rejects a name with a space', () =>
    rejects(() => checkMetadata({ 'a b': 'x' }), /invalid metadata name "a b"/));
  it('rejects a control character in a value', () =>
    rejects(() => checkMetadata({ a: 'x\ny' }), /invalid metadata value for "a"/));
  it('rejects more than 2 KiB', () => rejects(() => checkMetadata({ a: 'x'.repeat(2048) }), /2049 bytes/));
});
