// An ACME lab on loopback for tests: BIND (`named`) authoritative for a test zone whose names all
// point at 127.0.0.1 and which takes TSIG-signed updates, and Pebble (Let's Encrypt's test CA)
// resolving through that BIND and validating HTTP-01 on a port the test chooses.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TsigKey } from '../tls/dns-update.js';

export const LAB_ZONE = 'atelier.test';

export interface AcmeLab {
  dir: string;
  /** host:port of named */
  dnsServer: string;
  tsig: TsigKey;
  directoryUrl: string;
  /** Pebble's own listener certificate, to trust for the ACME API */
  pebbleCaFile: string;
  /** the root that signs issued certificates (new at every Pebble start) */
  issuerRoot(): Promise<string>;
  stop(): Promise<void>;
}

export function hasAcmeLab(): boolean {
  return (
    existsSync('/usr/bin/pebble') &&
    (existsSync('/usr/sbin/named') || existsSync('/usr/bin/named')) &&
    existsSync('/usr/bin/nsupdate')
  );
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitForPort(
  port: number,
  what: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}: ${log()}`);
}

/**
 * Starts named and Pebble in a temporary folder on free loopback ports; `httpPort` is where Pebble
 * asks for HTTP-01 answers; `certificateValiditySeconds` makes short-lived certificates (Pebble 2.4
 * reads `certificateValidityPeriod`, in seconds, from its config).
 */
export async function startAcmeLab(opts: {
  httpPort: number;
  certificateValiditySeconds?: number;
}): Promise<AcmeLab> {
  const dir = mkdtempSync(join(tmpdir(), 'acme-lab-'));
  const children: ChildProcess[] = [];
  const logs: Record<string, string> = { named: '', pebble: '' };
  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  // a test run that dies without `after` must not leave named or pebble behind
  const killAll = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  try {
    const dnsPort = await freePort();
    const tsig: TsigKey = {
      name: 'atelier-acme',
      algorithm: 'hmac-sha256',
      secret: randomBytes(32).toString('base64'),
    };
    writeFileSync(
      join(dir, `${LAB_ZONE}.zone`),
      [
        '$TTL 60',
        `@ IN SOA ns.${LAB_ZONE}. admin.${LAB_ZONE}. 1 60 60 600 60`,
        `@ IN NS ns.${LAB_ZONE}.`,
        'ns IN A 127.0.0.1',
        '@ IN A 127.0.0.1',
        '* IN A 127.0.0.1',
        '*.ws IN A 127.0.0.1',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'named.conf'),
      `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${dnsPort} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
};
key "${tsig.name}" { algorithm ${tsig.algorithm}; secret "${tsig.secret}"; };
zone "${LAB_ZONE}" {
  type primary;
  file "${dir}/${LAB_ZONE}.zone";
  update-policy { grant ${tsig.name} zonesub TXT; };
};
`,
    );
    const named = spawn(
      existsSync('/usr/sbin/named') ? '/usr/sbin/named' : 'named',
      ['-g', '-4', '-c', join(dir, 'named.conf')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(named);
    named.stderr?.on('data', (c: Buffer) => (logs.named = (logs.named + c.toString()).slice(-4000)));
    await waitForPort(dnsPort, 'named', named, () => logs.named ?? '');

    const pebblePort = await freePort();
    const managementPort = await freePort();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        join(dir, 'pebble-key.pem'),
        '-out',
        join(dir, 'pebble-cert.pem'),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    writeFileSync(
      join(dir, 'pebble.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${pebblePort}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: join(dir, 'pebble-cert.pem'),
          privateKey: join(dir, 'pebble-key.pem'),
          httpPort: opts.httpPort,
          tlsPort: await freePort(),
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          ...(opts.certificateValiditySeconds
            ? { certificateValidityPeriod: opts.certificateValiditySeconds }
            : {}),
        },
      }),
    );
    const pebble = spawn(
      'pebble',
      ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`, '-strict=false'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      },
    );
    children.push(pebble);
    for (const s of [pebble.stdout, pebble.stderr])
      s?.on('data', (c: Buffer) => (logs.pebble = (logs.pebble + c.toString()).slice(-4000)));
    await waitForPort(pebblePort, 'pebble', pebble, () => logs.pebble ?? '');
    const pebbleCaFile = join(dir, 'pebble-cert.pem');
    return {
      dir,
      dnsServer: `127.0.0.1:${dnsPort}`,
      tsig,
      directoryUrl: `https://127.0.0.1:${pebblePort}/dir`,
      pebbleCaFile,
      issuerRoot: () =>
        new Promise((resolve, reject) => {
          https
            .get(`https://127.0.0.1:${managementPort}/roots/0`, { ca: readFileSync(pebbleCaFile) }, (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c.toString()));
              res.on('end', () => resolve(body));
            })
            .on('error', reject);
        }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
