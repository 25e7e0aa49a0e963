// TLS mode "acme": certificates from an ACME CA (Let's Encrypt, or any RFC 8555 server such as
// Pebble) for <domain> and, with DNS-01, *.<domain> and *.ws.<domain>. The stored certificate is
// served at once; until the first one is issued a temporary self-signed one is. A timer orders a
// new certificate when the one served is due and hands it to `onCertificate` (setSecureContext).
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@atelier/protocol';
import acme from 'acme-client';
import type { Logger } from 'pino';
import { challengeRecordName, type Dns01Provider } from './acme-dns01.js';
import type { AcmeStore, StoredCertificate } from './acme-store.js';
import type { CertificatePair } from './cert-files.js';

const run = promisify(execFile);
const DAY_MS = 86_400_000;

export interface AcmeOptions {
  directoryUrl: string;
  email: string;
  /** names on the certificate, the first is its subject; wildcards need `dns01` */
  names: string[];
  /** PEM CA to trust for the ACME server's own https (a private CA such as Pebble) */
  caCert?: string | undefined;
  /** HTTP-01 answers come from answerHttp01 (the plain-http listener); DNS-01 from the provider */
  challenge: { http01: boolean; dns01?: Dns01Provider | undefined };
  renewBeforeDays: number;
  checkIntervalMs: number;
  store: AcmeStore;
  logger: Logger;
  /** the first retry after a failed order; doubles up to retryMaxMs (default 5 min, 1 h) */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** how often the CA is polled for a challenge's or an order's status (default 1 s) */
  pollMs?: number;
  now?: () => number;
}

export interface AcmeManager {
  /** what to serve now: the stored certificate, or a temporary self-signed one before the first */
  current(): CertificatePair;
  /** whether current() came from the CA (it may be due for renewal) rather than the temporary one */
  issued(): boolean;
  /** the key authorization for a pending HTTP-01 token (for listenRedirect's acmeHttp01) */
  answerHttp01(token: string): Promise<string | undefined>;
  /** orders when due; true when a new certificate was installed; rejects with the CA's detail */
  checkNow(): Promise<boolean>;
  /** starts the timer: a check now, then every checkIntervalMs, failures retried with backoff */
  start(): void;
  stop(): void;
}

/** When a certificate is due: renewBeforeDays before its end, or a third of its lifetime if shorter. */
export function renewalTime(cert: X509Certificate, renewBeforeDays: number): number {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  // a 6-day certificate with renewBeforeDays 30 would otherwise be renewed at every check
  return to - Math.min(renewBeforeDays * DAY_MS, (to - from) / 3);
}

/** Whether `cert` names every one of `names` (wildcards as written). */
export function covers(cert: X509Certificate, names: string[]): boolean {
  const san = (cert.subjectAltName ?? '').split(',').map((s) => s.trim().replace(/^DNS:/, '').toLowerCase());
  return names.every((n) => san.includes(n.toLowerCase()));
}

/** Why `stored` must be replaced, or undefined when it is good to serve until its renewal time. */
export function dueReason(
  stored: StoredCertificate | undefined,
  opts: Pick<AcmeOptions, 'names' | 'directoryUrl' | 'renewBeforeDays'>,
  now: number,
): string | undefined {
  if (!stored) return 'no certificate is stored yet';
  if (stored.directoryUrl !== opts.directoryUrl)
    return `the stored certificate came from ${stored.directoryUrl}`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(stored.cert);
    if (!cert.checkPrivateKey(createPrivateKey(stored.key)))
      return 'the stored key does not belong to the stored certificate';
  } catch (e) {
    return `the stored certificate or key does not parse (${(e as Error).message})`;
  }
  if (!covers(cert, opts.names))
    return `the stored certificate does not name all of ${opts.names.join(', ')}`;
  if (now >= renewalTime(cert, opts.renewBeforeDays)) return `the certificate expires on ${cert.validTo}`;
  return undefined;
}

/**
 * Loads what the store holds (no order yet: an HTTP-01 order needs the listener that `start` comes
 * after). Wildcards without DNS-01 are refused here rather than at the CA.
 */
export async function createAcme(
  opts: AcmeOptions,
  onCertificate: (pair: CertificatePair) => void,
): Promise<AcmeManager> {
  const { store, logger } = opts;
  const now = opts.now ?? Date.now;
  if (!opts.challenge.dns01 && opts.names.some((n) => n.startsWith('*.')))
    throw new AppError('invalid_argument', 'tls.acme: wildcard names need challenge.dns01');
  if (!opts.challenge.dns01 && !opts.challenge.http01)
    throw new AppError('invalid_argument', 'tls.acme: choose challenge.http01, challenge.dns01 or both');
  // acme-client has one axios instance for the process; a private CA is added to it, not to Node's
  if (opts.caCert) acme.axios.defaults.httpsAgent = new https.Agent({ ca: opts.caCert });

  let stored = await store.certificate();
  // a stored but outdated certificate (other names, near its end) beats a self-signed one
  let current: CertificatePair = stored ?? (await selfSigned(opts.names));
  if (!stored)
    logger.warn(
      { names: opts.names },
      'acme: serving a temporary self-signed certificate until the first one is issued',
    );

  let inFlight: Promise<boolean> | undefined;
  const checkNow = () => {
    inFlight ??= (async () => {
      const why = dueReason(stored, opts, now());
      if (!why) return false;
      const next = await order(opts, why);
      await store.saveCertificate(next);
      stored = next;
      current = { cert: next.cert, key: next.key };
      onCertificate(current);
      return true;
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = async () => {
    try {
      await checkNow();
      failures = 0;
      schedule(opts.checkIntervalMs);
    } catch (e) {
      failures++;
      const retryInMs = Math.min(
        (opts.retryMinMs ?? 300_000) * 2 ** (failures - 1),
        opts.retryMaxMs ?? 3_600_000,
      );
      logger.error(
        { names: opts.names, error: describe(e), failures, retryInMs },
        stored
          ? 'acme: renewal failed; the current certificate stays served'
          : 'acme: issuance failed; the temporary self-signed certificate stays served',
      );
      schedule(retryInMs);
    }
  };
  return {
    current: () => current,
    issued: () => stored !== undefined,
    answerHttp01: (token) => store.http01(token),
    checkNow,
    start: () => schedule(0),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

interface Pending {
  authz: acme.Authorization;
  challenge: acme.Authorization['challenges'][number];
  keyAuthorization: string;
  name: string;
}

/** One order, start to end: account, challenges (presented together, then validated), certificate. */
async function order(opts: AcmeOptions, why: string): Promise<StoredCertificate> {
  const { logger, store } = opts;
  const started = Date.now();
  let accountKey = await store.accountKey();
  if (!accountKey) {
    accountKey = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    await store.saveAccountKey(accountKey);
  }
  const client = new acme.Client({
    directoryUrl: opts.directoryUrl,
    accountKey,
    backoffMin: opts.pollMs ?? 1000,
    backoffMax: 10_000,
    backoffAttempts: 12,
  });
  await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${opts.email}`] });
  const placed = await client.createOrder({
    identifiers: opts.names.map((value) => ({ type: 'dns', value })),
  });
  logger.info({ names: opts.names, why, directoryUrl: opts.directoryUrl }, 'acme: order placed');

  const pending: Pending[] = [];
  try {
    for (const authz of await client.getAuthorizations(placed)) {
      const name = `${authz.wildcard ? '*.' : ''}${authz.identifier.value}`;
      if (authz.status === 'valid') continue; // validated recently for this account
      const type = opts.challenge.dns01 ? 'dns-01' : 'http-01';
      const challenge = authz.challenges.find((c) => c.type === type);
      if (!challenge)
        throw new AppError('failed_precondition', `the CA offers no ${type} challenge for ${name}`);
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      if (type === 'dns-01' && opts.challenge.dns01)
        await opts.challenge.dns01.present(challengeRecordName(name), keyAuthorization);
      else await store.setHttp01(challenge.token, keyAuthorization);
      pending.push({ authz, challenge, keyAuthorization, name });
      logger.info({ name, type }, 'acme: challenge ready');
    }
    for (const p of pending) {
      await client.completeChallenge(p.challenge);
      try {
        await client.waitForValidStatus(p.challenge);
      } catch (e) {
        throw new Error(`${p.name} (${p.challenge.type}): ${describe(e)}`);
      }
      logger.info({ name: p.name, type: p.challenge.type }, 'acme: challenge validated');
    }
  } finally {
    await Promise.all(pending.map((p) => removeChallenge(opts, p)));
  }

  const [key, csr] = await acme.crypto.createCsr(
    { commonName: opts.names[0], altNames: opts.names },
    await acme.crypto.createPrivateEcdsaKey('P-256'),
  );
  const finalized = await client.finalizeOrder(placed, csr);
  const cert = await client.getCertificate(finalized);
  const x = new X509Certificate(cert);
  logger.info(
    { names: opts.names, serial: x.serialNumber, notAfter: x.validTo, ms: Date.now() - started },
    'acme: certificate issued',
  );
  return { cert, key: key.toString(), directoryUrl: opts.directoryUrl };
}

async function removeChallenge(opts: AcmeOptions, p: Pending): Promise<void> {
  try {
    if (p.challenge.type === 'dns-01' && opts.challenge.dns01)
      await opts.challenge.dns01.cleanup(challengeRecordName(p.name), p.keyAuthorization);
    else await opts.store.setHttp01(p.challenge.token, undefined);
  } catch (e) {
    // a leftover TXT record does no harm beyond clutter; the order's own outcome matters more
    opts.logger.warn({ name: p.name, error: describe(e) }, 'acme: removing the challenge failed');
  }
}

/** A one-day self-signed certificate to serve until the CA's arrives (made by openssl, like local-ca). */
async function selfSigned(names: string[]): Promise<CertificatePair> {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-acme-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=Atelier temporary certificate (ACME pending)',
      '-addext',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    return {
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An error's message; acme-client puts the CA's problem detail there. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
