// Secrets at rest: AES-256-GCM with a key ring (the first key seals, every key opens), the key file
// used when none is configured, and random bearer tokens with their stored sha256.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@atelier/protocol';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const KEY_ID = /^[a-z0-9-]{1,32}$/;
export const KEY_FILE_NAME = 'secret-keys.json';

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly sealingKeyId: string;

  constructor(keys: readonly { id: string; key: Buffer }[]) {
    const first = keys[0];
    if (!first) throw new AppError('invalid_argument', 'the key ring is empty: configure at least one key');
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) {
        throw new AppError(
          'invalid_argument',
          `key id "${id}" must be 1–32 lower-case letters, digits or "-"`,
        );
      }
      if (key.length !== KEY_BYTES) {
        throw new AppError(
          'invalid_argument',
          `key ${id} has ${key.length} bytes; it needs exactly ${KEY_BYTES}`,
        );
      }
      if (this.keys.has(id))
        throw new AppError('invalid_argument', `key id ${id} appears twice in the key ring`);
      this.keys.set(id, Buffer.from(key));
    }
    this.sealingKeyId = first.id;
  }

  /** The id of the key new secrets are sealed with (the ring's first). */
  get sealingKey(): string {
    return this.sealingKeyId;
  }

  /** Whether `sealed` was sealed with the sealing key (else a re-seal moves it there). */
  sealedWithSealingKey(sealed: string): boolean {
    return sealed.startsWith(`${VERSION}.${this.sealingKeyId}.`);
  }

  /** `v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url parts; the version and key id are authenticated. */
  seal(plain: string): string {
    const id = this.sealingKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(id) as Buffer, iv);
    cipher.setAAD(Buffer.from(`${VERSION}.${id}`));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
    return [VERSION, id, ...parts].join('.');
  }

  open(sealed: string): string {
    const [version, id, iv, tag, ciphertext, ...rest] = sealed.split('.');
    if (version !== VERSION || !id || !iv || !tag || ciphertext === undefined || rest.length > 0) {
      throw new AppError('internal', 'a sealed secret is malformed (expected v1.<key id>.<iv>.<tag>.<data>)');
    }
    const key = this.keys.get(id);
    if (!key) {
      throw new AppError(
        'internal',
        `a secret was sealed with key ${id}, which is not in the key ring — add key ${id} back to auth.encryptionKeys`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`${VERSION}.${id}`));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      // The cause is the cipher's "unable to authenticate data"; it carries nothing more useful.
      throw new AppError(
        'internal',
        `a secret sealed with key ${id} failed authentication: it was altered, or key ${id} is not the key that sealed it`,
      );
    }
  }
}

/** Exactly 32 bytes of canonical base64, or an error naming the key. */
function decodeKey(id: string, text: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== text.trim()) {
    throw new AppError(
      'invalid_argument',
      `encryption key ${id} must be the base64 of exactly ${KEY_BYTES} bytes — generate one with: openssl rand -base64 32`,
    );
  }
  return key;
}

/**
 * The key ring: the configured keys, or else `<dataDir>/secret-keys.json`, created with mode 0600
 * and one random key `k1` on first use (atomically, so two processes agree on the key).
 */
export async function loadKeyRing(
  keys: readonly { id: string; key: string }[] | undefined,
  dataDir: string,
): Promise<SecretBox> {
  if (keys !== undefined) {
    if (keys.length === 0) {
      throw new AppError('invalid_argument', 'auth.encryptionKeys is empty: add a key or remove the setting');
    }
    return new SecretBox(keys.map(({ id, key }) => ({ id, key: decodeKey(id, key) })));
  }
  const path = join(dataDir, KEY_FILE_NAME);
  const text = (await readIfExists(path)) ?? (await createKeyFile(dataDir, path));
  return new SecretBox(parseKeyFile(path, text));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes a temporary file and hard-links it into place: the key file is never seen half-written. */
async function createKeyFile(dataDir: string, path: string): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const text = `${JSON.stringify({ keys: [{ id: 'k1', key: randomBytes(KEY_BYTES).toString('base64') }] }, null, 2)}\n`;
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
  try {
    await chmod(temporary, 0o600);
    await link(temporary, path);
    return text;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') return readFile(path, 'utf8');
    throw error;
  } finally {
    await unlink(temporary);
  }
}

function parseKeyFile(path: string, text: string): { id: string; key: Buffer }[] {
  const invalid = () =>
    new AppError(
      'invalid_argument',
      `${path} is not a key file ({"keys":[{"id":"k1","key":"<base64>"}]}) — restore it from a backup; ` +
        'without it, stored secrets cannot be read',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || !('keys' in parsed) || !Array.isArray(parsed.keys)) {
    throw invalid();
  }
  return parsed.keys.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || !('id' in entry) || !('key' in entry)) throw invalid();
    if (typeof entry.id !== 'string' || typeof entry.key !== 'string') throw invalid();
    return { id: entry.id, key: decodeKey(entry.id, entry.key) };
  });
}

/** A new bearer token: the prefix, then 32 random bytes in base64url. */
export function newSecretToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** What is stored for a bearer token: its sha256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
