// TLS mode files, end to end: Atelier serves the operator's certificate, picks up a renewed one
// written over the same files without a restart, and refuses to start on a key that does not match.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { ensureLocalCa, type LocalCa } from '@atelier/proxy';
import { AtelierProcess, ROOT } from './harness/atelier.js';
import { request, trustCa } from './harness/http.js';

const dir = mkdtempSync(join(tmpdir(), 'atelier-e2e-certs-'));
const files = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
let old: LocalCa;
let renewed: LocalCa;
let atelier: AtelierProcess | undefined;

before(async () => {
  // two pairs from two CAs, standing in for the operator's certificate before and after renewal
  old = await ensureLocalCa({ dir: join(dir, 'old'), domain: 'localhost' });
  renewed = await ensureLocalCa({ dir: join(dir, 'new'), domain: 'localhost' });
  trustCa(old.caCert);
  trustCa(renewed.caCert);
});

after(async () => {
  await atelier?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** the certificate Atelier presents for the dashboard host */
function presented(port: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false },
      () => {
        resolve(s.getPeerX509Certificate()?.fingerprint256);
        s.end();
      },
    );
    s.on('error', reject);
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const config = `tls: { mode: files, files: { cert: ${files.cert}, key: ${files.key} } }`;

test('a key that does not match the certificate stops the start with both paths named', async () => {
  writeFileSync(files.cert, old.cert);
  writeFileSync(files.key, renewed.key);
  const log = join(ROOT, 'test-results', 'e2e-tls-files-bad.log');
  rmSync(log, { force: true });
  await assert.rejects(AtelierProcess.start({ name: 'tls-files-bad', extraConfig: config }), /exited with 2/);
  assert.ok(
    readFileSync(log, 'utf8').includes(
      `${files.cert} and ${files.key} are not a usable certificate and key: error:05800074:x509 certificate routines::key values mismatch`,
    ),
  );
});

test('the own certificate is served, and a renewed one without a restart', { timeout: 120_000 }, async () => {
  writeFileSync(files.cert, old.cert);
  writeFileSync(files.key, old.key);
  atelier = await AtelierProcess.start({ name: 'tls-files', extraConfig: config });
  assert.equal(atelier.scheme, 'https');
  assert.equal(atelier.caCertPath, undefined, 'no CA of its own in this mode');
  assert.equal((await request(`${atelier.url}/api/v1/health`)).status, 200);
  assert.equal(await presented(atelier.port), fingerprint(old.cert));

  writeFileSync(files.key, renewed.key);
  writeFileSync(files.cert, renewed.cert);
  // the files are polled every 5 s
  for (let i = 0; i < 100 && (await presented(atelier.port)) !== fingerprint(renewed.cert); i++)
    await sleep(200);
  assert.equal(await presented(atelier.port), fingerprint(renewed.cert));
  assert.equal((await request(`${atelier.url}/api/v1/health`)).status, 200);
});
