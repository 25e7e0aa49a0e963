// Smoke test in a real workspace container: the built bundle, started as root, becomes the image's user,
// clones a host repository mounted read-only, and serves a terminal running as that user.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { supervisorPaths as P, SUPERVISOR_TOKEN_HEADER } from '@atelier/protocol';
import WebSocket from 'ws';
import { makeRepo } from './content/repo-fixture.js';

const SOCKET = '/run/podman/podman.sock';
const IMAGE = 'localhost/atelier-workspace:bookworm';
const TOKEN = 'container-token-0123456789abcdef0123456789';
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function engineAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: SOCKET, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function skipReason(): Promise<string | undefined> {
  return engineAnswers().then((ok) => {
    if (!ok) return `${SOCKET} does not answer`;
    try {
      execFileSync('podman', ['image', 'exists', IMAGE]);
      return undefined;
    } catch {
      return `the image ${IMAGE} is missing (npm run setup builds it)`;
    }
  });
}

const podman = (...args: string[]) => execFileSync('podman', args, { encoding: 'utf8' }).trim();

describe('supervisor in a workspace container', async () => {
  const reason = await skipReason();
  let dir: string;
  let container = '';
  let base = '';
  const headers = { [SUPERVISOR_TOKEN_HEADER]: TOKEN };

  before(async () => {
    if (reason) return;
    execFileSync(process.execPath, [join(packageDir, 'build.mjs')]);
    dir = mkdtempSync(join(tmpdir(), 'sup-container-'));
    chmodSync(dir, 0o755);
    const repo = makeRepo(dir);
    const repoPath = join(dir, 'repo.git');
    const config = {
      workspaceId: 'smoke-fox-1234abcd',
      instanceId: 'smoke-1',
      ownerId: 'u1',
      token: TOKEN,
      workspaceUrl: 'http://smoke-fox-1234abcd.ws.localhost',
      checkoutLocation: '/workspace/repo',
      contentInit: { kind: 'git', cloneUrl: repo.url },
    };
    const run = [
      ['run', '-d', '--init', '--user', '0', '-p', '127.0.0.1::22999'],
      // this host's podman service cannot apply containers.conf's default ulimits (see the report)
      ['--ulimit', 'nproc=4096:4096', '--ulimit', 'nofile=4096:4096'],
      ['-v', `${join(packageDir, 'dist')}:/.supervisor:ro`],
      ['-v', `${process.execPath}:/.supervisor-node/node:ro`],
      ['-v', `${repoPath}:${repoPath}:ro`],
      ['-e', `ATELIER_SUPERVISOR_CONFIG=${JSON.stringify(config)}`],
      [IMAGE, '/.supervisor-node/node', '/.supervisor/supervisor.cjs'],
    ];
    container = podman(...run.flat());
    const hostPort = podman('port', container, '22999').split(':').pop();
    base = `http://127.0.0.1:${hostPort}`;
    for (let i = 0; ; i++) {
      try {
        await fetch(`${base}${P.statusSupervisor}`, { headers });
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  after(() => {
    if (container) execFileSync('podman', ['rm', '-f', '-t', '0', container]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('clones the mounted repository as the workspace user', { skip: reason }, async () => {
    const status = await (await fetch(`${base}${P.statusContent}/wait/true`, { headers })).json();
    assert.deepEqual(status, { available: true, source: 'from-other', error: null, progress: null });
    assert.equal(podman('exec', container, 'stat', '-c', '%U', '/workspace/repo/README.md'), 'gitpod');
    assert.equal(podman('exec', container, 'cat', '/workspace/repo/README.md'), 'two');
  });

  it('runs as gitpod, and so do its terminals', { skip: reason }, async () => {
    const ps = podman('exec', container, 'ps', '-eo', 'user=,args=');
    assert.match(ps, /^gitpod +\/\.supervisor-node\/node \/\.supervisor\/supervisor\.cjs$/m);
    const res = await fetch(`${base}${P.terminalOpen}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    const { alias } = (await res.json()) as { alias: string };
    const ws = new WebSocket(`${base.replace('http', 'ws')}${P.terminalAttach}/${alias}`, { headers });
    let out = '';
    ws.on('message', (d: Buffer) => (out += d.toString()));
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          type: 'input',
          data: 'echo "uid=$(id -u) config=[$ATELIER_SUPERVISOR_CONFIG]"; exit\r',
        }),
      ),
    );
    const [code] = await new Promise<[number, string]>((r) =>
      ws.on('close', (c, why) => r([c, why.toString()])),
    );
    assert.equal(code, 1000);
    assert.match(out, /^uid=33333 config=\[\]\r?$/m);
  });

  it('stops within a second on SIGTERM with exit code 0', { skip: reason }, () => {
    const started = Date.now();
    execFileSync('podman', ['kill', '--signal', 'TERM', container]);
    assert.equal(podman('wait', container), '0');
    assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
  });
});
