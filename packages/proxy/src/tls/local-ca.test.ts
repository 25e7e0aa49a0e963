// The local CA: what it makes (host names, validity, key usage, file modes), that a TLS client
// trusting only the exported CA accepts the leaf, and that a restart reuses or renews as it should.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureLocalCa } from './local-ca.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'atelier-ca-'));
  dirs.push(d);
  return join(d, 'tls');
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** the extensions as openssl prints them, so the test reads like the certificate */
function extensions(pemPath: string): string {
  return execFileSync('openssl', [
    'x509',
    '-in',
    pemPath,
    '-noout',
    '-ext',
    'basicConstraints,keyUsage,extendedKeyUsage,subjectAltName',
  ]).toString();
}

test('first start makes a CA and a leaf for <domain>, *.<domain> and *.ws.<domain>', async () => {
  const dir = await tempDir();
  const made = await ensureLocalCa({ dir, domain: 'atelier.test' });
  assert.equal(made.caCertPath, join(dir, 'ca.crt'));
  assert.equal(made.renewed, true);

  const ca = new X509Certificate(made.caCert);
  assert.equal(ca.ca, true);
  assert.ok(Date.parse(ca.validTo) - Date.now() > 9 * 365 * 86_400_000, 'the CA lasts about ten years');
  const caExt = extensions(join(dir, 'ca.crt'));
  assert.match(caExt, /Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/);
  assert.match(caExt, /Key Usage: critical\n\s+Certificate Sign, CRL Sign/);
  assert.match(
    execFileSync('openssl', [
      'x509',
      '-in',
      join(dir, 'ca.crt'),
      '-noout',
      '-ext',
      'nameConstraints',
    ]).toString(),
    /Name Constraints: critical\n\s+Permitted:\n\s+DNS:atelier\.test\n/,
  );

  const leaf = new X509Certificate(await readFile(join(dir, 'leaf.crt')));
  assert.equal(leaf.ca, false);
  assert.equal(leaf.subjectAltName, 'DNS:atelier.test, DNS:*.atelier.test, DNS:*.ws.atelier.test');
  assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
  const days = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 364 && days <= 365, `leaf valid for ${days} days`);
  const leafExt = extensions(join(dir, 'leaf.crt'));
  assert.match(leafExt, /Basic Constraints: critical\n\s+CA:FALSE/);
  assert.match(leafExt, /Key Usage: critical\n\s+Digital Signature/);
  assert.match(leafExt, /Extended Key Usage: \n\s+TLS Web Server Authentication/);

  for (const key of ['ca.key', 'leaf.key']) assert.equal((await stat(join(dir, key))).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
});

test('a client that trusts only the exported CA accepts a port host over TLS', async () => {
  const made = await ensureLocalCa({ dir: await tempDir(), domain: 'localhost' });
  const server = https.createServer({ cert: made.cert, key: made.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const get = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        https
          .get(
            { host: '127.0.0.1', port, servername, ca: made.caCert, headers: { host: servername } },
            (res) => {
              res.setEncoding('utf8');
              let body = '';
              res.on('data', (c) => {
                body += c;
              });
              res.on('end', () => resolve(body));
            },
          )
          .on('error', reject);
      });
    assert.equal(await get('8000-abcdefghijk.ws.localhost'), 'ok');
    assert.equal(await get('localhost'), 'ok');
    await assert.rejects(get('example.com'), /altnames/);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('a restart reuses the CA and the leaf', async () => {
  const dir = await tempDir();
  const first = await ensureLocalCa({ dir, domain: 'localhost' });
  const second = await ensureLocalCa({ dir, domain: 'localhost' });
  assert.equal(second.renewed, false);
  assert.equal(second.caCert, first.caCert);
  assert.equal(second.cert, first.cert);
  assert.equal(second.key, first.key);
});

test('a leaf near expiry is replaced and the CA stays; another domain gets a new CA', async () => {
  const dir = await tempDir();
  const first = await ensureLocalCa({ dir, domain: 'localhost', leafDays: 10 });
  const renewed = await ensureLocalCa({ dir, domain: 'localhost' });
  assert.equal(renewed.renewed, true);
  assert.equal(renewed.caCert, first.caCert);
  assert.notEqual(renewed.key, first.key);

  const moved = await ensureLocalCa({ dir, domain: 'atelier.test' });
  assert.equal(moved.renewed, true);
  assert.notEqual(moved.caCert, first.caCert, 'the old CA is constrained to localhost');
  assert.match(new X509Certificate(moved.caCert).subject, /CN=Atelier local CA for atelier\.test/);
  assert.equal(
    new X509Certificate(moved.cert).subjectAltName,
    'DNS:atelier.test, DNS:*.atelier.test, DNS:*.ws.atelier.test',
  );
});

test('the CA key cannot vouch for names outside the domain (name constraints)', async () => {
  const dir = await tempDir();
  await ensureLocalCa({ dir, domain: 'atelier.test' });
  const sign = (name: string) => {
    const out = join(dir, `${name}.crt`);
    // biome-ignore format: one openssl call, read as a command line
    execFileSync('openssl', ['req', '-x509', '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'),
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`),
      '-out', out, '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`]);
    return out;
  };
  const verify = (cert: string) =>
    execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), cert], { stdio: 'pipe' }).toString();
  assert.match(verify(sign('x.ws.atelier.test')), /OK/);
  assert.throws(() => verify(sign('bank.example')), /permitted subtree violation/);
});
