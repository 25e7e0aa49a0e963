// OpenSSH public keys as users paste them (`ssh-ed25519 AAAA... me@laptop`): checked to be a
// well-formed public key of an algorithm the gateway takes, normalized, and fingerprinted like
// `ssh-keygen -l` (SHA256 of the key blob, base64 without padding).
import { createHash } from 'node:crypto';
import { AppError } from '@atelier/protocol';

export interface ParsedSshKey {
  algorithm: string;
  /** "<algorithm> <base64 blob>": what the gateway compares against */
  publicKey: string;
  fingerprint: string;
  /** the text after the key, if any (usually user@host) */
  comment: string;
}

const ECDSA_CURVES: Record<string, string> = {
  'ecdsa-sha2-nistp256': 'nistp256',
  'ecdsa-sha2-nistp384': 'nistp384',
  'ecdsa-sha2-nistp521': 'nistp521',
};
export const SSH_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ssh-rsa',
  ...Object.keys(ECDSA_CURVES),
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
const MIN_RSA_BITS = 2048;

const invalid = (message: string) => new AppError('invalid_argument', message);

/** Reads the SSH wire format's length-prefixed fields out of a key blob. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  bytes(): Buffer {
    if (this.at + 4 > this.buf.length) throw invalid('publicKey is cut short: paste the whole line');
    const len = this.buf.readUInt32BE(this.at);
    const start = this.at + 4;
    if (start + len > this.buf.length) throw invalid('publicKey is cut short: paste the whole line');
    this.at = start + len;
    return this.buf.subarray(start, this.at);
  }
  string(): string {
    return this.bytes().toString('latin1');
  }
  done(): boolean {
    return this.at === this.buf.length;
  }
}

/** Parses one public key line; throws AppError invalid_argument saying what is wrong and what to paste. */
export function parseSshPublicKey(line: string): ParsedSshKey {
  const text = line.trim();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw invalid(
      'this is a private key: paste the public key (the .pub file), and keep the private key to yourself',
    );
  }
  if (text.includes('\n')) throw invalid('publicKey holds several lines: add one key at a time');
  const [algorithm = '', encoded = '', ...rest] = text.split(/\s+/);
  if (!(SSH_KEY_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw invalid(
      `publicKey must start with the key type, one of ${SSH_KEY_ALGORITHMS.join(', ')}` +
        ` (got "${algorithm.slice(0, 40)}"); paste a line of ~/.ssh/id_ed25519.pub`,
    );
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw invalid('publicKey has no base64 key after its type: paste the whole line of the .pub file');
  }
  const blob = Buffer.from(encoded, 'base64');
  const reader = new Reader(blob);
  if (reader.string() !== algorithm) {
    throw invalid(
      `publicKey says ${algorithm} but the key inside is of another type: paste the line unchanged`,
    );
  }
  checkKeyFields(algorithm, reader);
  if (!reader.done()) throw invalid('publicKey has extra bytes after the key: paste the line unchanged');
  return {
    algorithm,
    publicKey: `${algorithm} ${blob.toString('base64')}`,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
    comment: rest.join(' '),
  };
}

function checkKeyFields(algorithm: string, r: Reader): void {
  switch (algorithm) {
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com':
      if (r.bytes().length !== 32) throw invalid('publicKey: an ed25519 key is 32 bytes; this one is not');
      if (algorithm.startsWith('sk-')) r.string(); // the security key's application
      return;
    case 'ssh-rsa': {
      r.bytes(); // e
      const n = r.bytes();
      let bits = n.length * 8;
      for (let i = 0; i < n.length && n[i] === 0; i++) bits -= 8; // the sign byte
      if (bits < MIN_RSA_BITS) {
        throw invalid(
          `publicKey: this RSA key has ${bits} bits; use at least ${MIN_RSA_BITS}, or better ed25519 (ssh-keygen -t ed25519)`,
        );
      }
      return;
    }
    default: {
      const curve = ECDSA_CURVES[algorithm.replace(/^sk-/, '').replace(/@openssh\.com$/, '')];
      if (r.string() !== curve) throw invalid(`publicKey: the curve inside does not match ${algorithm}`);
      const point = r.bytes();
      if (point[0] !== 0x04) throw invalid('publicKey: the ECDSA point is not in uncompressed form');
      if (algorithm.startsWith('sk-')) r.string();
    }
  }
}
