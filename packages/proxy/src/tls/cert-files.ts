// TLS mode "files": the operator's certificate and key, read at start-up and again whenever either
// file changes, so a renewal by certbot or a secret mount takes effect without a restart.
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { AppError } from '@atelier/protocol';
import type { Logger } from 'pino';

export interface CertificatePair {
  cert: string;
  key: string;
}

/** Reads and checks a pair: both files readable, PEM, and the key belongs to the certificate. */
export async function loadCertificateFiles(files: { cert: string; key: string }): Promise<CertificatePair> {
  let pair: CertificatePair;
  try {
    pair = { cert: await readFile(files.cert, 'utf8'), key: await readFile(files.key, 'utf8') };
  } catch (e) {
    throw new AppError(
      'failed_precondition',
      `cannot read the TLS certificate or key (tls.files): ${(e as Error).message}`,
    );
  }
  try {
    createSecureContext(pair); // throws on bad PEM and on a key that does not match the certificate
  } catch (e) {
    throw new AppError(
      'failed_precondition',
      `${files.cert} and ${files.key} are not a usable certificate and key: ${(e as Error).message}`,
    );
  }
  return pair;
}

/**
 * Polls both files (polling, not fs.watch, because certbot and Kubernetes replace files through
 * symlinks and renames that inotify watches lose) and hands a new valid pair to `apply`. An
 * invalid pair is logged and the server keeps the one it has. Returns a function that stops.
 */
export function watchCertificateFiles(
  files: { cert: string; key: string },
  apply: (pair: CertificatePair) => void,
  opts: { logger: Logger; intervalMs?: number },
): () => void {
  const interval = opts.intervalMs ?? 5_000;
  let reloading = Promise.resolve();
  const changed = () => {
    // serialised: cert and key usually change together and each fires its own event
    reloading = reloading.then(async () => {
      try {
        apply(await loadCertificateFiles(files));
        opts.logger.info({ cert: files.cert, key: files.key }, 'TLS certificate reloaded');
      } catch (e) {
        opts.logger.error(
          { cert: files.cert, key: files.key, err: (e as Error).message },
          'the changed TLS certificate or key is not usable; still serving the previous one',
        );
      }
    });
  };
  watchFile(files.cert, { interval, persistent: false }, changed);
  watchFile(files.key, { interval, persistent: false }, changed);
  return () => {
    unwatchFile(files.cert, changed);
    unwatchFile(files.key, changed);
  };
}
