// The SSH part of the edge benchmark: `head -c 1G /dev/zero` read over SSH through OpenSSH's sshd on
// loopback, and through Atelier's SSH gateway into a workspace container (a real Atelier), with the
// client's default cipher and with aes128-gcm.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../e2e/harness/atelier.js';
import { QUIET_SSH_OPTIONS } from '../../e2e/harness/openssh.js';
import { startGatewayForBench } from './ssh-gateway.js';

export interface SshFigures {
  sshdMBps: number;
  gatewayMBps: number;
  sshdAesGcmMBps: number;
  gatewayAesGcmMBps: number;
  defaultCipher: { sshd: string; gateway: string };
}

const OPTS = [...QUIET_SSH_OPTIONS, '-o', 'BatchMode=yes'];

/** Reads `bytes` zeros over ssh and resolves to MB/s; also the cipher the session used. */
function catOver(args: string[], bytes: number): Promise<{ mbps: number; cipher: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('ssh', [...OPTS, '-v', ...args, `head -c ${bytes} /dev/zero`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SSH_AUTH_SOCK: '' },
    });
    let got = 0;
    let log = '';
    child.stdout.on('data', (c: Buffer) => (got += c.length));
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || got !== bytes)
        return reject(new Error(`ssh ended with ${code} after ${got} bytes: ${log.slice(-500)}`));
      const cipher = /kex: server->client cipher: (\S+)/.exec(log)?.[1] ?? 'unknown';
      resolve({ mbps: bytes / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9), cipher });
    });
  });
}

async function startSshd(work: string, clientPub: string): Promise<{ port: number; child: ChildProcess }> {
  const dir = join(work, 'sshd');
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true }); // privilege separation wants it
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  writeFileSync(join(dir, 'authorized_keys'), clientPub);
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync(
        'ssh',
        [...OPTS, '-i', join(work, 'client_key'), '-p', String(port), 'root@127.0.0.1', 'true'],
        {
          stdio: 'ignore',
          env: { ...process.env, SSH_AUTH_SOCK: '' },
        },
      );
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error('sshd did not let the bench in');
}

export async function sshBench(work: string, bytes: number): Promise<SshFigures> {
  const key = join(work, 'client_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const pub = execFileSync('ssh-keygen', ['-y', '-f', key]).toString();
  const sshd = await startSshd(work, pub);
  writeFileSync(`${key}.pub`, pub);
  const gateway = await startGatewayForBench(`${key}.pub`);
  try {
    const toSshd = ['-i', key, '-p', String(sshd.port), 'root@127.0.0.1'];
    const toGateway = ['-i', key, '-p', String(gateway.port), `${gateway.user}@127.0.0.1`];
    const gcm = ['-c', 'aes128-gcm@openssh.com'];
    await catOver(toSshd, 64 * 1024 * 1024); // warm-up
    await catOver(toGateway, 64 * 1024 * 1024);
    const sshdDefault = await catOver(toSshd, bytes);
    const gatewayDefault = await catOver(toGateway, bytes);
    const sshdGcm = await catOver([...gcm, ...toSshd], bytes);
    const gatewayGcm = await catOver([...gcm, ...toGateway], bytes);
    return {
      sshdMBps: sshdDefault.mbps,
      gatewayMBps: gatewayDefault.mbps,
      sshdAesGcmMBps: sshdGcm.mbps,
      gatewayAesGcmMBps: gatewayGcm.mbps,
      defaultCipher: { sshd: sshdDefault.cipher, gateway: gatewayDefault.cipher },
    };
  } finally {
    sshd.child.kill();
    await gateway.close();
  }
}
