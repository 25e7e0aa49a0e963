// Public keys made by ssh-keygen are taken with its fingerprint; anything else is refused, saying why.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseSshPublicKey } from './public-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'ssh-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, ...args: string[]): { line: string; fingerprint: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@test`, '-f', file, ...args]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
    .toString()
    .split(' ')[1] as string;
  return { line: readFileSync(`${file}.pub`, 'utf8'), fingerprint };
}

describe('parseSshPublicKey', () => {
  for (const [name, args, algorithm] of [
    ['ed', ['-t', 'ed25519'], 'ssh-ed25519'],
    ['rsa', ['-t', 'rsa', '-b', '3072'], 'ssh-rsa'],
    ['ec256', ['-t', 'ecdsa', '-b', '256'], 'ecdsa-sha2-nistp256'],
    ['ec521', ['-t', 'ecdsa', '-b', '521'], 'ecdsa-sha2-nistp521'],
  ] as const) {
    it(`${algorithm} from ssh-keygen: ssh-keygen's fingerprint, the comment apart`, () => {
      const key = keygen(name, ...args);
      const parsed = parseSshPublicKey(`  ${key.line}\n`);
      assert.equal(parsed.algorithm, algorithm);
      assert.equal(parsed.fingerprint, key.fingerprint);
      assert.equal(parsed.comment, `${name}@test`);
      assert.equal(parsed.publicKey, key.line.split(' ').slice(0, 2).join(' '));
    });
  }

  it('refuses, saying what to do', () => {
    const ed = keygen('ed2', '-t', 'ed25519');
    const [type, b64] = ed.line.split(' ') as [string, string];
    const cases: [string, RegExp][] = [
      ['', /must start with the key type/],
      ['hello world', /must start with the key type, one of ssh-ed25519, ssh-rsa.*got "hello"/],
      [readFileSync(join(dir, 'ed2'), 'utf8'), /this is a private key: paste the public key/],
      [`${type}`, /no base64 key after its type/],
      [`${type} not*base64`, /no base64 key after its type/],
      [`${type} ${b64.slice(0, 40)}`, /cut short/],
      [`ssh-rsa ${b64}`, /says ssh-rsa but the key inside is of another type/],
      [`${ed.line}\n${ed.line}`, /several lines/],
      [
        `${type} ${Buffer.concat([Buffer.from(b64, 'base64'), Buffer.from([0, 0, 0, 0])]).toString('base64')}`,
        /extra bytes/,
      ],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseSshPublicKey(input),
        { code: 'invalid_argument', message },
        input.slice(0, 60),
      );
    }
    const small = keygen('rsa1024', '-t', 'rsa', '-b', '1024');
    assert.throws(() => parseSshPublicKey(small.line), {
      message: /this RSA key has 1024 bits; use at least 2048, or better ed25519/,
    });
  });
});
