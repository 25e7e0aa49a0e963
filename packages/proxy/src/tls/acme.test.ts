// ACME against Pebble with BIND on loopback: HTTP-01 for the domain through the redirect listener,
// DNS-01 for the wildcards by RFC 2136 + TSIG and by an exec hook (nsupdate), a wrong TSIG secret,
// a restart that reuses the stored certificate, and a short-lived certificate renewed and swapped
// into a running server.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { pino } from 'pino';
import { listenRedirect } from '../listen.js';
import { type AcmeLab, hasAcmeLab, LAB_ZONE, startAcmeLab } from '../testing/acme-lab.js';
import { type AcmeManager, type AcmeOptions, createAcme } from './acme.js';
import { execProvider, rfc2136Provider } from './acme-dns01.js';
import { fileAcmeStore } from './acme-store.js';
import type { CertificatePair } from './cert-files.js';
import { dnsUpdate } from './dns-update.js';

const ALL_NAMES = [LAB_ZONE, `*.${LAB_ZONE}`, `*.ws.${LAB_ZONE}`];
const skip = hasAcmeLab()
  ? false
  : 'pebble and named are not installed (apt-get install pebble bind9 bind9-utils)';

/** A logger whose lines the test reads. */
function capture() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  return { logger, lines };
}

/** The certificate a TLS handshake for `servername` presents, verified against `ca` (rejects if not). */
function handshake(port: number, servername: string, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert);
      else reject(new Error('no certificate'));
    });
    socket.on('error', reject);
  });
}

/** An https server that serves `manager`'s certificate and takes the new ones (as the edge does). */
async function serve(first: CertificatePair): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer(first, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

async function until(what: string, check: () => boolean, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ACME with Pebble and BIND', { skip }, () => {
  let lab: AcmeLab;
  let redirect: http.Server;
  let dir: string;
  let root: string;
  /** the manager whose HTTP-01 answers the redirect listener gives */
  let answering: AcmeManager | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acme-test-'));
    // the plain-http listener Pebble validates HTTP-01 against (atelier.test resolves to 127.0.0.1)
    redirect = await listenRedirect({
      host: '127.0.0.1',
      port: 0,
      domain: LAB_ZONE,
      httpsPort: 443,
      acmeHttp01: async (token) => answering?.answerHttp01(token),
    });
    lab = await startAcmeLab({ httpPort: (redirect.address() as net.AddressInfo).port });
    root = await lab.issuerRoot();
  });
  after(async () => {
    redirect?.closeAllConnections();
    redirect?.close();
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (name: string, over: Partial<AcmeOptions> = {}): AcmeOptions => ({
    directoryUrl: lab.directoryUrl,
    email: 'admin@atelier.test',
    names: [LAB_ZONE],
    caCert: readFileSync(lab.pebbleCaFile, 'utf8'),
    challenge: { http01: true },
    renewBeforeDays: 30,
    checkIntervalMs: 3_600_000,
    store: fileAcmeStore(join(dir, name)),
    logger: pino({ level: 'silent' }),
    pollMs: 50,
    ...over,
  });
  const rfc2136 = (secret = lab.tsig.secret) =>
    rfc2136Provider({ server: lab.dnsServer, zone: LAB_ZONE, key: { ...lab.tsig, secret } });

  it('HTTP-01: a temporary certificate at first, then the CA’s, swapped into the running server', async () => {
    const { logger, lines } = capture();
    const swaps: CertificatePair[] = [];
    let server: https.Server | undefined;
    const manager = await createAcme(options('http01', { logger }), (pair) => {
      swaps.push(pair);
      server?.setSecureContext(pair);
    });
    answering = manager;
    assert.equal(manager.issued(), false);
    const served = await serve(manager.current());
    server = served.server;
    try {
      await assert.rejects(handshake(served.port, LAB_ZONE, root), /self-signed/);
      const started = Date.now();
      assert.equal(await manager.checkNow(), true);
      console.log(`# HTTP-01 issuance (1 name): ${Date.now() - started} ms`);
      const seen = await handshake(served.port, LAB_ZONE, root);
      assert.equal(seen.serialNumber, new X509Certificate(manager.current().cert).serialNumber);
      assert.equal(swaps.length, 1);
      const events = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      for (const step of [
        'acme: order placed',
        'acme: challenge ready',
        'acme: challenge validated',
        'acme: certificate issued',
      ])
        assert.ok(events.includes(step), `${step} in ${events.join(' | ')}`);
      // the redirect listener still redirects, and answers no token once the order is done
      const get = (path: string) =>
        new Promise<http.IncomingMessage>((resolve, reject) =>
          http
            .get(
              { port: (redirect.address() as net.AddressInfo).port, path, headers: { host: LAB_ZONE } },
              (res) => {
                res.resume();
                resolve(res);
              },
            )
            .on('error', reject),
        );
      assert.equal((await get('/.well-known/acme-challenge/abc')).statusCode, 404);
      assert.equal((await get('/x')).headers.location, `https://${LAB_ZONE}/x`);
      for (const f of ['account.key', 'key.pem', 'cert.pem'])
        assert.equal(statSync(join(dir, 'http01', f)).mode & 0o777, 0o600, f);
    } finally {
      answering = undefined;
      server.close();
      manager.stop();
    }
  });

  it('DNS-01 by RFC 2136 + TSIG: the domain and both wildcards; records removed afterwards', async () => {
    const manager = await createAcme(
      options('dns01', { names: ALL_NAMES, challenge: { http01: false, dns01: rfc2136() } }),
      () => {},
    );
    const started = Date.now();
    assert.equal(await manager.checkNow(), true);
    console.log(`# DNS-01 RFC 2136 issuance (3 names, 2 wildcards): ${Date.now() - started} ms`);
    const { server, port } = await serve(manager.current());
    try {
      for (const host of [
        LAB_ZONE,
        `dashboard.${LAB_ZONE}`,
        `x.ws.${LAB_ZONE}`,
        `8080-amber-fox-1234abcd.ws.${LAB_ZONE}`,
      ]) {
        const seen = await handshake(port, host, root);
        assert.equal(
          seen.checkHost(host),
          host === LAB_ZONE ? LAB_ZONE : `*.${host.split('.').slice(1).join('.')}`,
        );
      }
      const resolver = new Resolver();
      resolver.setServers([lab.dnsServer]);
      for (const name of [`_acme-challenge.${LAB_ZONE}`, `_acme-challenge.ws.${LAB_ZONE}`])
        await assert.rejects(resolver.resolveTxt(name), { code: 'ENODATA' }, `no TXT left at ${name}`);
    } finally {
      server.close();
      manager.stop();
    }
  });

  it('DNS-01 by an exec hook (nsupdate); a restart serves the stored certificate without an order', async () => {
    const hook = join(dir, 'hook.sh');
    const [host, port] = lab.dnsServer.split(':');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        'set -e',
        '[ "$1" = present ] && op=add || op=delete',
        `printf 'server ${host} ${port}\\nzone ${LAB_ZONE}\\nupdate %s %s 60 TXT "%s"\\nsend\\n' "$op" "$2" "$3" |`,
        `  nsupdate -y hmac-sha256:${lab.tsig.name}:${lab.tsig.secret}`,
        '',
      ].join('\n'),
      { mode: 0o700 },
    );
    const opts = options('exec', {
      names: ALL_NAMES,
      challenge: { http01: false, dns01: execProvider(hook) },
    });
    const first = await createAcme(opts, () => {});
    const started = Date.now();
    assert.equal(await first.checkNow(), true);
    console.log(`# DNS-01 exec hook issuance (3 names): ${Date.now() - started} ms`);
    first.stop();

    const { logger, lines } = capture();
    const again = await createAcme({ ...opts, logger, store: fileAcmeStore(join(dir, 'exec')) }, () => {
      assert.fail('no new certificate after a restart');
    });
    assert.equal(again.issued(), true);
    assert.equal(again.current().cert, first.current().cert);
    assert.equal(await again.checkNow(), false);
    again.stop();
    assert.deepEqual(
      lines.filter((l) => l.includes('acme: order placed')),
      [],
    );
  });

  it('a wrong TSIG secret: the DNS server’s NOTAUTH/BADSIG in the error and the log; no swap', async () => {
    const { logger, lines } = capture();
    const store = fileAcmeStore(join(dir, 'badsig'));
    const opts = options('badsig', {
      names: ALL_NAMES,
      store,
      logger,
      retryMinMs: 100,
      challenge: { http01: false, dns01: rfc2136(Buffer.alloc(32, 7).toString('base64')) },
    });
    const manager = await createAcme(opts, () => assert.fail('no certificate to swap in'));
    const temporary = manager.current();
    await assert.rejects(manager.checkNow(), {
      message:
        /^the DNS server 127\.0\.0\.1:\d+ refused the update: NOTAUTH, TSIG error BADSIG \(the TSIG key name, algorithm or secret does not match the server’s\)$/,
    });
    // scheduled: logged with the detail, retried with backoff
    manager.start();
    await until('two failed tries in the log', () => lines.filter((l) => l.includes('BADSIG')).length >= 2);
    manager.stop();
    const logged = JSON.parse(lines.find((l) => l.includes('BADSIG')) ?? '{}') as Record<string, unknown>;
    assert.equal(logged.msg, 'acme: issuance failed; the temporary self-signed certificate stays served');
    assert.equal(logged.retryInMs, 100);
    assert.ok(
      !lines.some((l) => l.includes(lab.tsig.secret) || l.includes(Buffer.alloc(32, 7).toString('base64'))),
    );
    assert.equal(manager.current(), temporary);
    assert.equal(await store.certificate(), undefined);
  });

  it('an answer whose TSIG does not verify is refused (a relay flips one byte of the MAC)', async () => {
    const [host, port] = lab.dnsServer.split(':');
    // TCP DNS: 2-byte length, then the message; the answer's last bytes are the TSIG's
    // original id, error and other-data length (6 bytes), and before them the MAC
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(port), host);
      client.pipe(upstream);
      const chunks: Buffer[] = [];
      upstream.on('data', (c: Buffer) => {
        chunks.push(c);
        const answer = Buffer.concat(chunks);
        if (answer.length < 2 || answer.length < 2 + answer.readUInt16BE(0)) return;
        const at = answer.length - 7;
        answer[at] = (answer[at] ?? 0) ^ 0xff;
        client.end(answer);
        upstream.end();
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const server = `127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
      const target = { server, zone: LAB_ZONE, key: lab.tsig };
      await assert.rejects(
        dnsUpdate(target, { op: 'add', name: `_acme-challenge.relay.${LAB_ZONE}`, value: 'v' }),
        {
          message: `the DNS server ${server} answered with a TSIG that does not verify`,
        },
      );
      // the same update straight to BIND is accepted (the relay's flip is what failed it)
      await dnsUpdate(
        { ...target, server: lab.dnsServer },
        { op: 'delete', name: `_acme-challenge.relay.${LAB_ZONE}`, value: 'v' },
      );
    } finally {
      relay.close();
    }
  });
});

describe('ACME renewal', { skip }, () => {
  it('a short-lived certificate is renewed and swapped into the running server without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acme-renew-'));
    const redirect = await listenRedirect({ host: '127.0.0.1', port: 0, domain: LAB_ZONE, httpsPort: 443 });
    // Pebble 2.4 takes certificateValidityPeriod: certificates valid for 6 s, due after 4 s
    const lab = await startAcmeLab({
      httpPort: (redirect.address() as net.AddressInfo).port,
      certificateValiditySeconds: 6,
    });
    let server: https.Server | undefined;
    let manager: AcmeManager | undefined;
    try {
      const { logger, lines } = capture();
      const renewed: X509Certificate[] = [];
      manager = await createAcme(
        {
          directoryUrl: lab.directoryUrl,
          email: 'admin@atelier.test',
          names: [LAB_ZONE],
          caCert: readFileSync(lab.pebbleCaFile, 'utf8'),
          challenge: {
            http01: false,
            dns01: rfc2136Provider({ server: lab.dnsServer, zone: LAB_ZONE, key: lab.tsig }),
          },
          renewBeforeDays: 30,
          checkIntervalMs: 200,
          store: fileAcmeStore(join(dir, 'store')),
          logger,
          pollMs: 50,
        },
        (pair) => {
          server?.setSecureContext(pair);
          renewed.push(new X509Certificate(pair.cert));
        },
      );
      const served = await serve(manager.current());
      server = served.server;
      const root = await lab.issuerRoot();
      manager.start();
      await until('the first certificate', () => renewed.length === 1);
      const first = await handshake(served.port, LAB_ZONE, root);
      assert.equal(first.serialNumber, renewed[0]?.serialNumber);
      const lifetime = Date.parse(first.validTo) - Date.parse(first.validFrom);
      assert.ok(lifetime <= 10_000, `a short-lived certificate (${first.validFrom} to ${first.validTo})`);
      await until('a renewal', () => renewed.length === 2);
      manager.stop();
      const second = await handshake(served.port, LAB_ZONE, root);
      assert.notEqual(
        second.serialNumber,
        first.serialNumber,
        'the same server presents the new certificate',
      );
      assert.equal(second.serialNumber, renewed[1]?.serialNumber);
      assert.ok(
        lines.some((l) => l.includes('the certificate expires on')),
        'the renewal says why',
      );
    } finally {
      manager?.stop();
      server?.close();
      redirect.close();
      await lab.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
