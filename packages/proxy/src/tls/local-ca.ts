// TLS mode "local-ca": a CA made once in the data dir signs one certificate for every host name of
// Atelier. Certificates are made by the machine's `openssl` (no hand-written ASN.1, no extra npm
// package); Node's X509Certificate reads them back to decide whether they are still good.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@atelier/protocol';

const run = promisify(execFile);

const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** a leaf with less left than this is replaced at start-up */
const RENEW_BEFORE_MS = 30 * 24 * 3_600_000;

export interface LocalCa {
  /** the CA certificate users import to trust Atelier (printed at start-up) */
  caCertPath: string;
  caCert: string;
  /** the leaf certificate followed by the CA: what the server presents */
  cert: string;
  key: string;
  /** true when this call made a new leaf */
  renewed: boolean;
}

export interface LocalCaOptions {
  /** where the CA and leaf live, e.g. <dataDir>/tls; keys are written 0600 */
  dir: string;
  domain: string;
  now?: () => Date;
  /** validity of a new leaf; tests make short-lived ones to exercise renewal */
  leafDays?: number;
}

/** The host names the certificate must cover (gitpod.md §6.1). */
export const certificateHosts = (domain: string) => [domain, `*.${domain}`, `*.ws.${domain}`];

/** Loads the CA and leaf from `dir`, making the CA on first start and a new leaf when needed. */
export async function ensureLocalCa(opts: LocalCaOptions): Promise<LocalCa> {
  const now = opts.now ?? (() => new Date());
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const paths = {
    caKey: join(opts.dir, 'ca.key'),
    caCert: join(opts.dir, 'ca.crt'),
    key: join(opts.dir, 'leaf.key'),
    cert: join(opts.dir, 'leaf.crt'),
  };
  let caCert = await readIfExists(paths.caCert);
  if (
    caCert === undefined ||
    (await readIfExists(paths.caKey)) === undefined ||
    !new X509Certificate(caCert).subject.includes(`CN=${caName(opts.domain)}`)
  ) {
    // the CA is name-constrained to one domain, so a new domain needs a new CA (and a new import)
    await makeCa(opts.dir, paths.caKey, paths.caCert, opts.domain);
    caCert = await readFile(paths.caCert, 'utf8');
  }
  const ca = new X509Certificate(caCert);
  const leafPem = await readIfExists(paths.cert);
  const leafKey = await readIfExists(paths.key);
  let renewed = false;
  if (!leafPem || !leafKey || !leafIsGood(leafPem, ca, opts.domain, now())) {
    await makeLeaf(opts.dir, paths, opts.domain, opts.leafDays ?? LEAF_DAYS);
    renewed = true;
  }
  const leaf = await readFile(paths.cert, 'utf8');
  return {
    caCertPath: paths.caCert,
    caCert,
    cert: `${leaf.trimEnd()}\n${caCert}`,
    key: await readFile(paths.key, 'utf8'),
    renewed,
  };
}

function leafIsGood(pem: string, ca: X509Certificate, domain: string, now: Date): boolean {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(pem);
  } catch {
    return false; // a damaged file is replaced, as a missing one is
  }
  const sans = (leaf.subjectAltName ?? '').split(', ').sort();
  const wanted = certificateHosts(domain)
    .map((h) => `DNS:${h}`)
    .sort();
  return (
    leaf.checkIssued(ca) &&
    leaf.verify(ca.publicKey) &&
    sans.join() === wanted.join() &&
    Date.parse(leaf.validTo) - now.getTime() > RENEW_BEFORE_MS
  );
}

const caName = (domain: string) => `Atelier local CA for ${domain}`;

async function makeCa(dir: string, keyPath: string, certPath: string, domain: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${keyPath}.new`,
    '-out',
    `${certPath}.new`,
    '-days',
    String(CA_DAYS),
    '-subj',
    `/O=Atelier/CN=${caName(domain)}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    // whoever gets ca.key can sign for <domain> and its sub-domains only, not for other sites
    '-addext',
    `nameConstraints=critical,permitted;DNS:${domain}`,
  ]);
  await chmod(`${keyPath}.new`, 0o600);
  // the key first: a crash in between leaves a key without a CA, which the next start replaces
  await rename(`${keyPath}.new`, keyPath);
  await rename(`${certPath}.new`, certPath);
}

async function makeLeaf(
  dir: string,
  paths: { caKey: string; caCert: string; key: string; cert: string },
  domain: string,
  days: number,
): Promise<void> {
  const sans = certificateHosts(domain)
    .map((h) => `DNS:${h}`)
    .join(',');
  await openssl(dir, [
    'req',
    '-x509',
    '-CA',
    paths.caCert,
    '-CAkey',
    paths.caKey,
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${paths.key}.new`,
    '-out',
    `${paths.cert}.new`,
    '-days',
    String(days),
    '-subj',
    `/O=Atelier/CN=${domain}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature',
    '-addext',
    'extendedKeyUsage=serverAuth',
    '-addext',
    `subjectAltName=${sans}`,
  ]);
  await chmod(`${paths.key}.new`, 0o600);
  await rename(`${paths.key}.new`, paths.key);
  await rename(`${paths.cert}.new`, paths.cert);
}

/** Runs openssl with an empty config, so the machine's openssl.cnf adds no extensions of its own. */
async function openssl(dir: string, args: string[]): Promise<void> {
  const tmp = await mkdtemp(join(dir, '.openssl-'));
  const config = join(tmp, 'openssl.cnf');
  await writeFile(config, '[req]\ndistinguished_name = dn\n[dn]\n');
  try {
    await run('openssl', [...args, '-config', config], { timeout: 30_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new AppError(
        'failed_precondition',
        'tls.mode local-ca needs the openssl command: install it (apt-get install openssl) or use tls.mode files',
      );
    throw new AppError('internal', `openssl ${args[0]} failed: ${err.stderr?.trim() || err.message}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
