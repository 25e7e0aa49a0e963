// Password hashing for local accounts: scrypt from node:crypto in a self-describing string format.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, length: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, length, { N: n, r, p, maxmem: MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>` of a password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, N, R, P, KEY_LENGTH);
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** True when the password matches; false for a wrong password and for a malformed stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash || rest.length > 0) return false;
  const [cost, blockSize, parallel] = [Number(n), Number(r), Number(p)];
  // Bounds keep a tampered row from asking for unbounded work; derive() also enforces maxmem.
  if (![cost, blockSize, parallel].every(Number.isSafeInteger) || cost < 2 || cost > 2 ** 20) return false;
  if (blockSize < 1 || blockSize > 32 || parallel < 1 || parallel > 16) return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length < 16) return false;
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    cost,
    blockSize,
    parallel,
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}
