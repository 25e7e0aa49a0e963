// Where mode "acme" keeps its state: the account key, the issued certificate with its key, and the
// pending HTTP-01 answers. One process uses the file store; replicas need a store they share.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificatePair } from './cert-files.js';

/** An issued certificate (the chain after the leaf), its key, and the CA that issued it. */
export interface StoredCertificate extends CertificatePair {
  /** the ACME directory it came from: a certificate from another CA (staging) is ordered again */
  directoryUrl: string;
}

/**
 * What ACME keeps between starts. A cluster backs this with the database so that every replica
 * serves the same certificate and answers HTTP-01 tokens another replica asked for.
 */
export interface AcmeStore {
  accountKey(): Promise<string | undefined>;
  saveAccountKey(pem: string): Promise<void>;
  certificate(): Promise<StoredCertificate | undefined>;
  saveCertificate(stored: StoredCertificate): Promise<void>;
  /** an HTTP-01 key authorization by token; `undefined` removes it */
  setHttp01(token: string, keyAuthorization: string | undefined): Promise<void>;
  http01(token: string): Promise<string | undefined>;
}

/**
 * Files in `dir` (<dataDir>/tls/acme), 0600, each written aside and renamed into place.
 * HTTP-01 answers stay in memory: enough for one process, since the process that ordered is the one
 * the CA asks; replicas behind a load balancer need the shared (database) store instead.
 */
export function fileAcmeStore(dir: string): AcmeStore {
  const answers = new Map<string, string>();
  const read = async (name: string): Promise<string | undefined> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  const write = async (name: string, text: string) => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const aside = join(dir, `${name}.tmp`);
    await writeFile(aside, text, { mode: 0o600 });
    await chmod(aside, 0o600); // writeFile's mode does not change a file left by a crash
    await rename(aside, join(dir, name));
  };
  return {
    accountKey: () => read('account.key'),
    saveAccountKey: (pem) => write('account.key', pem),
    async certificate() {
      const [cert, key, meta] = await Promise.all([read('cert.pem'), read('key.pem'), read('cert.json')]);
      if (!cert || !key || !meta) return undefined;
      const { directoryUrl } = JSON.parse(meta) as { directoryUrl?: unknown };
      return typeof directoryUrl === 'string' ? { cert, key, directoryUrl } : undefined;
    },
    async saveCertificate({ cert, key, directoryUrl }) {
      // the key first: a crash in between leaves a new key beside the old certificate, which the
      // next start finds mismatched and orders again, never a certificate without its key
      await write('key.pem', key);
      await write('cert.pem', cert);
      await write('cert.json', `${JSON.stringify({ directoryUrl })}\n`);
    },
    async setHttp01(token, keyAuthorization) {
      if (keyAuthorization === undefined) answers.delete(token);
      else answers.set(token, keyAuthorization);
    },
    http01: async (token) => answers.get(token),
  };
}
