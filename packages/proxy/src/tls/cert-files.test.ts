// Mode "files": a bad pair is refused at start-up; a new pair written in place is what the running
// server presents next; a broken one is logged and the previous pair stays in service.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { AppError } from '@atelier/protocol';
import { pino } from 'pino';
import { listen } from '../listen.js';
import { createProxy } from '../proxy.js';
import { loadCertificateFiles, watchCertificateFiles } from './cert-files.js';
import { ensureLocalCa, type LocalCa } from './local-ca.js';

let dir: string;
let first: LocalCa;
let second: LocalCa;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atelier-files-'));
  // two unrelated pairs, as an operator's old and renewed certificate would be
  first = await ensureLocalCa({ dir: join(dir, 'a'), domain: 'atelier.test' });
  second = await ensureLocalCa({ dir: join(dir, 'b'), domain: 'atelier.test' });
});
after(() => rm(dir, { recursive: true, force: true }));

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** the fingerprint of the certificate the server presents for atelier.test */
function presented(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'atelier.test', rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

test('a key that does not belong to the certificate is refused with both paths named', async () => {
  const files = { cert: join(dir, 'bad.crt'), key: join(dir, 'bad.key') };
  await writeFile(files.cert, first.cert);
  await writeFile(files.key, second.key);
  await assert.rejects(loadCertificateFiles(files), (e: unknown) => {
    assert.ok(e instanceof AppError);
    assert.match(
      e.message,
      /bad\.crt and .*bad\.key are not a usable certificate and key: .*key values mismatch/,
    );
    return true;
  });
  await assert.rejects(
    loadCertificateFiles({ cert: join(dir, 'missing.crt'), key: files.key }),
    /cannot read the TLS certificate/,
  );
});

test('a changed pair is served without a restart; a broken one leaves the old pair in service', async () => {
  const files = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  await writeFile(files.cert, first.cert);
  await writeFile(files.key, first.key);
  const logs: { msg: string; err?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const proxy = createProxy({
    domain: 'atelier.test',
    scheme: 'https',
    publicPort: 443,
    logger: pino({ level: 'silent' }),
    dashboard: { request: (_req, res) => res.end('dashboard') },
    resolve: async () => undefined,
    connect: async () => {
      throw new AppError('unavailable', 'no workspaces here');
    },
  });
  const server = await listen(proxy, { host: '127.0.0.1', port: 0, tls: await loadCertificateFiles(files) });
  const stop = watchCertificateFiles(files, (pair) => (server as https.Server).setSecureContext(pair), {
    logger,
    intervalMs: 20,
  });
  const { port } = server.address() as AddressInfo;
  const until = async (what: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await what()); i++) await sleep(20);
  };
  try {
    assert.equal(await presented(port), fingerprint(first.cert));

    await writeFile(files.key, second.key);
    await writeFile(files.cert, second.cert);
    await until(async () => (await presented(port)) === fingerprint(second.cert));
    assert.equal(await presented(port), fingerprint(second.cert));
    await until(() => logs.some((l) => l.msg === 'TLS certificate reloaded'));

    const before = logs.length;
    await writeFile(files.cert, 'not a certificate\n');
    await until(() => logs.slice(before).some((l) => l.msg.includes('not usable')));
    const failure = logs.slice(before).find((l) => l.msg.includes('not usable'));
    assert.equal(
      failure?.msg,
      'the changed TLS certificate or key is not usable; still serving the previous one',
    );
    assert.match(failure?.err ?? '', /server\.crt and .*server\.key are not a usable certificate and key/);
    assert.equal(await presented(port), fingerprint(second.cert));
  } finally {
    stop();
    await new Promise((r) => server.close(r));
  }
});
