// The SSH gateway with the real OpenSSH client (ssh, scp, sftp) against a real supervisor (the
// built bundle) serving a temporary folder: who gets in, sessions with and without a terminal,
// files both ways, port forwarding, and a stopped workspace's message.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadOrCreateHostKeys, type SshGateway, type SshWorkspace, startSshGateway } from './index.js';
import { type SupervisorProcess, startSupervisorProcess } from './testing/workspace.js';

/** No user config, no known_hosts, quiet: the client options of every run here. */
const CLIENT_OPTIONS = [
  '-F',
  '/dev/null',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
];

const RUNNING: SshWorkspace = {
  workspaceId: 'amber-fox-1234abcd',
  instanceId: 'inst-running',
  ownerId: 'user-owner',
  phase: 'running',
  ownerToken: 'owner-token-8f3a9c2e1b7d4a6f',
};
const STOPPED: SshWorkspace = {
  workspaceId: 'coral-owl-9876wxyz',
  instanceId: 'inst-stopped',
  ownerId: 'user-owner',
  phase: 'stopped',
  ownerToken: 'owner-token-stopped-55aa66bb',
};

interface Ran {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

describe('ssh gateway with OpenSSH and a real supervisor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-gateway-e2e-'));
  const keyOf = (name: string) => join(dir, 'keys', name);
  const logLines: string[] = [];
  const active: string[] = [];
  let sup: SupervisorProcess;
  let gateway: SshGateway;
  let web: http.Server;

  /** Runs an OpenSSH program to its end (async: the gateway runs in this process). */
  function run(
    program: 'ssh' | 'scp' | 'sftp',
    args: string[],
    opts: { input?: string; env?: Record<string, string> } = {},
  ): Promise<Ran> {
    const common = [...CLIENT_OPTIONS, program === 'ssh' ? '-p' : '-P', String(gateway.port)];
    const child = spawn(program, [...common, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // no controlling terminal: SSH_ASKPASS is used, and nothing prompts
      detached: true,
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin.end(opts.input ?? '');
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    });
  }
  const tokenAuth = (ws: SshWorkspace, token = ws.ownerToken) => [
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'PasswordAuthentication=no',
    '-o',
    'KbdInteractiveAuthentication=no',
    `${ws.workspaceId}#${token}@127.0.0.1`,
  ];
  const keyAuth = (key: string) => [
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'PreferredAuthentications=publickey',
    '-i',
    keyOf(key),
  ];

  before(async () => {
    mkdirSync(join(dir, 'keys'));
    for (const name of ['owner', 'stranger']) {
      await new Promise((resolve, reject) =>
        spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', keyOf(name)])
          .once('exit', resolve)
          .once('error', reject),
      );
    }
    const root = join(dir, 'workspace');
    mkdirSync(root);
    sup = await startSupervisorProcess(root, RUNNING);
    const keys: Record<string, string[]> = {
      [RUNNING.ownerId]: [readFileSync(`${keyOf('owner')}.pub`, 'utf8').trim()],
      'user-stranger': [readFileSync(`${keyOf('stranger')}.pub`, 'utf8').trim()],
    };
    const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
    gateway = await startSshGateway(
      {
        logger,
        hostKeys: await loadOrCreateHostKeys({ dir: join(dir, 'host-keys') }),
        resolve: async (id) => [RUNNING, STOPPED].find((w) => w.workspaceId === id),
        publicKeys: async (userId) => keys[userId] ?? [],
        connect: async (target, to) => {
          assert.equal(target.workspaceId, RUNNING.workspaceId, 'only the running workspace is reached');
          return sup.connect(to);
        },
        markActive: (instanceId) => active.push(instanceId),
        startUrl: (id) => `http://atelier.localhost/start/#${id}`,
      },
      { host: '127.0.0.1', port: 0 },
    );
    // a web server "inside the workspace" (the supervisor runs on this machine), for -L
    web = http.createServer((_req, res) => res.end('hello from the workspace\n'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await gateway?.close();
    await sup?.stop();
    await new Promise((resolve) => web?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('introduces itself as SSH-2.0-ATELIER-GATEWAY', async () => {
    const socket = connect(gateway.port, '127.0.0.1');
    const [line] = (await once(createInterface({ input: socket }), 'line')) as [string];
    socket.destroy();
    assert.equal(line, 'SSH-2.0-ATELIER-GATEWAY');
  });

  it('exec: stdout, stderr apart, the exit code, in the checkout with the workspace env', async () => {
    const r = await run('ssh', [
      ...tokenAuth(RUNNING),
      'echo "out $GITPOD_WORKSPACE_ID"; pwd; echo err >&2; exit 7',
    ]);
    assert.equal(r.stdout.toString(), `out ${RUNNING.workspaceId}\n${sup.checkout}\n`);
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 7);
    assert.ok(active.includes(RUNNING.instanceId), 'the connection counted as activity');
  });

  it('exec: the client sets the locale but not PATH, LD_* or the workspace ids; exit by signal', async () => {
    const r = await run('ssh', [
      '-o',
      'SetEnv=LC_ATELIER=kept LD_PRELOAD=/nope PATH=/nope GITPOD_WORKSPACE_ID=spoofed',
      ...tokenAuth(RUNNING),
      'echo "$LC_ATELIER" "$(printenv LD_PRELOAD || echo unset)" "$GITPOD_WORKSPACE_ID"; command -v ls',
    ]);
    assert.equal(r.stdout.toString(), `kept unset ${RUNNING.workspaceId}\n/usr/bin/ls\n`, r.stderr);
    // ended by a signal: OpenSSH's client reports exit-signal with 255
    const killed = await run('ssh', [...tokenAuth(RUNNING), 'kill -KILL $$']);
    assert.equal(killed.code, 255);
  });

  it('stdin waits while the remote process does not read (the SSH window stays shut)', async () => {
    const child = spawn(
      'ssh',
      [...CLIENT_OPTIONS, '-p', String(gateway.port), ...tokenAuth(RUNNING), 'exec sleep 600'],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 120);
    child.stdin.on('error', () => {}); // ssh is killed below with data still queued: EPIPE is expected
    for (let at = 0; at < total; at += chunk.length) child.stdin.write(chunk);
    // the buffers on the way fill up, then nothing more is taken: what waits here stops shrinking
    let last = -1;
    for (let quiet = 0; quiet < 10; ) {
      await new Promise((r) => setTimeout(r, 100));
      quiet = child.stdin.writableLength === last ? quiet + 1 : 0;
      last = child.stdin.writableLength;
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(last > total / 2, `stdin should wait for the process, but only ${last} bytes were left`);
  });

  it('exec takes stdin to its end, and gives large output whole', async () => {
    const input = 'line one\nline two\n'.repeat(5000);
    const r = await run('ssh', [...tokenAuth(RUNNING), 'wc -c'], { input });
    assert.equal(r.stdout.toString().trim(), String(input.length));
    const started = Date.now();
    const big = await run('ssh', [...tokenAuth(RUNNING), 'head -c 134217728 /dev/zero']);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(big.stdout.length, 128 * 1024 * 1024, big.stderr);
    assert.equal(big.code, 0);
    console.log(`ssh ... head -c 128M: ${(128 / seconds).toFixed(0)} MiB/s`);
  });

  it('ssh -tt: a login shell and a command in a pty of the client size, exit code back', async () => {
    const shell = await run('ssh', ['-tt', ...tokenAuth(RUNNING)], {
      input: 'stty size; echo "term=$TERM"\nexit 3\n',
    });
    const text = shell.stdout.toString();
    assert.match(text, /24 80/); // the client's stdin is no terminal: it asks for 0x0, the default
    assert.match(text, /term=xterm/);
    assert.equal(shell.code, 3);
    const exec = await run('ssh', ['-tt', ...tokenAuth(RUNNING), 'tty; exit 5']);
    assert.match(exec.stdout.toString(), /^\/dev\/pts\/\d+\r\n$/);
    assert.equal(exec.code, 5);
  });

  it('the owner token as password (SSH_ASKPASS)', async () => {
    const askpass = (token: string) => {
      const file = join(dir, `askpass-${token}.sh`);
      writeFileSync(file, `#!/bin/sh\necho '${token}'\n`);
      chmodSync(file, 0o700);
      return { SSH_ASKPASS: file, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' };
    };
    const args = [
      '-o',
      'PreferredAuthentications=password',
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'NumberOfPasswordPrompts=1',
      `${RUNNING.workspaceId}@127.0.0.1`,
      'echo ok-password',
    ];
    const ok = await run('ssh', args, { env: askpass(RUNNING.ownerToken) });
    assert.equal(ok.stdout.toString(), 'ok-password\n', ok.stderr);
    assert.equal(ok.code, 0);
    const wrong = await run('ssh', args, { env: askpass('not-the-owner-token') });
    assert.equal(wrong.code, 255);
    assert.match(wrong.stderr, /Permission denied/);
  });

  it("one of the owner's public keys lets in; another user's key does not", async () => {
    const ok = await run('ssh', [...keyAuth('owner'), `${RUNNING.workspaceId}@127.0.0.1`, 'echo ok-key']);
    assert.equal(ok.stdout.toString(), 'ok-key\n', ok.stderr);
    const other = await run('ssh', [...keyAuth('stranger'), `${RUNNING.workspaceId}@127.0.0.1`, 'true']);
    assert.equal(other.code, 255);
    assert.match(other.stderr, /Permission denied/);
  });

  it('a wrong token, an unknown workspace, a malformed user name: the same plain refusal', async () => {
    for (const args of [
      tokenAuth(RUNNING, 'wrong-token-1234567890'),
      tokenAuth({ ...RUNNING, workspaceId: 'nobody-here-abcd1234' }),
      tokenAuth({ ...RUNNING, workspaceId: 'Not_A_Workspace' }),
    ]) {
      const r = await run('ssh', [...args, 'echo should-not-run']);
      assert.equal(r.code, 255, args.join(' '));
      assert.match(r.stderr, /Permission denied/);
      assert.equal(r.stdout.length, 0);
    }
    assert.ok(logLines.length > 0);
    for (const secret of [RUNNING.ownerToken, 'wrong-token-1234567890'])
      assert.ok(!logLines.some((l) => l.includes(secret)), 'no token reaches the log');
  });

  it('a stopped workspace says where to start it', async () => {
    const r = await run('ssh', [...tokenAuth(STOPPED), 'echo should-not-run']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `workspace ${STOPPED.workspaceId} is stopped; start it at http://atelier.localhost/start/#${STOPPED.workspaceId}`,
      ),
    );
  });

  it('scp both ways (SFTP underneath), byte for byte', async () => {
    const local = join(dir, 'up.bin');
    const data = randomBytes(20 * 1024 * 1024);
    writeFileSync(local, data);
    const target = `${RUNNING.workspaceId}@127.0.0.1`;
    const up = await run('scp', [...keyAuth('owner'), local, `${target}:uploaded.bin`]);
    assert.equal(up.code, 0, up.stderr);
    assert.ok(readFileSync(join(sup.checkout, 'uploaded.bin')).equals(data), 'uploaded whole');
    const back = join(dir, 'down.bin');
    const down = await run('scp', [...keyAuth('owner'), `${target}:uploaded.bin`, back]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(readFileSync(back).equals(data), 'downloaded whole');
  });

  it('sftp in batch mode: put, ls, get', async () => {
    const local = join(dir, 'notes.txt');
    writeFileSync(local, 'notes for the workspace\n');
    const batch = join(dir, 'batch.sftp');
    writeFileSync(batch, `put ${local} notes.txt\nls -1\nget notes.txt ${join(dir, 'notes-back.txt')}\n`);
    const r = await run('sftp', [...keyAuth('owner'), '-b', batch, `${RUNNING.workspaceId}@127.0.0.1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.toString(), /^notes\.txt$/m);
    assert.equal(readFileSync(join(sup.checkout, 'notes.txt'), 'utf8'), 'notes for the workspace\n');
    assert.equal(readFileSync(join(dir, 'notes-back.txt'), 'utf8'), 'notes for the workspace\n');
  });

  it('ssh -N -L reaches a server inside the workspace', async () => {
    const webPort = (web.address() as AddressInfo).port;
    const localPort = await freePort();
    const forward = spawn(
      'ssh',
      [
        ...CLIENT_OPTIONS,
        '-o',
        'ExitOnForwardFailure=yes',
        '-p',
        String(gateway.port),
        ...keyAuth('owner'),
        '-N',
        '-L',
        `127.0.0.1:${localPort}:127.0.0.1:${webPort}`,
        `${RUNNING.workspaceId}@127.0.0.1`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const body = await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${localPort}/`);
        return res.text();
      });
      assert.equal(body, 'hello from the workspace\n');
    } finally {
      const exited = new Promise((resolve) => forward.once('exit', resolve));
      forward.kill('SIGTERM');
      await exited;
    }
  });

  it('ssh -W: one forward on stdin/stdout; off loopback or to a stopped workspace refused', async () => {
    const webPort = (web.address() as AddressInfo).port;
    const ok = await run('ssh', [...tokenAuth(RUNNING), '-W', `127.0.0.1:${webPort}`], {
      input: 'GET / HTTP/1.0\r\n\r\n',
    });
    assert.match(ok.stdout.toString(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*hello from the workspace\n$/);
    for (const [ws, dest] of [
      [RUNNING, '10.255.255.1:80'],
      [STOPPED, '127.0.0.1:80'],
    ] as const) {
      // -W: one forwarded channel on stdin/stdout; the refusal ends ssh with 255
      const r = await run('ssh', [...tokenAuth(ws), '-W', dest]);
      assert.equal(r.code, 255, `${ws.workspaceId} ${dest}`);
      assert.match(r.stderr, /stdio forwarding failed/);
    }
  });

  it('a client that goes away takes its remote process along', async () => {
    const pidFile = join(sup.checkout, 'remote.pid');
    const child = spawn(
      'ssh',
      [
        ...CLIENT_OPTIONS,
        '-p',
        String(gateway.port),
        ...tokenAuth(RUNNING),
        `echo $$ > ${pidFile}; exec sleep 600`,
      ],
      { stdio: 'ignore' },
    );
    const pid = await waitFor(async () => {
      const text = readFileSync(pidFile, 'utf8').trim();
      if (!text) throw new Error('empty pid file');
      return Number(text);
    });
    assert.ok(alive(pid));
    child.kill('SIGKILL');
    await waitFor(async () => {
      if (alive(pid)) throw new Error(`process ${pid} still runs`);
    });
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: it is gone
  }
}

/** Retries `attempt` until it resolves, for at most `timeoutMs`. */
async function waitFor<T>(attempt: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = http.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
