// The built gp (dist/gp.cjs) as a workspace runs it: a process of its own with ATELIER_SUPERVISOR_API,
// its help, validate, a call to the supervisor and to the server, and exit codes — each exiting promptly.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FakeWorkspace, WORKSPACE_TOKEN } from './fake-workspace.js';
import { GP_VERSION } from './gp.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = join(packageDir, 'dist/gp.cjs');

/** Newest modification time of the files below `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** Builds when the bundle is older than its sources (setup builds it; a rebuild races other tests less). */
function ensureBuilt(): void {
  const built = (() => {
    try {
      return statSync(bundle).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(
    newest(join(packageDir, 'src/gp')),
    newest(join(packageDir, 'src/server')),
    newest(join(packageDir, '../protocol/src')),
    statSync(join(packageDir, 'build.mjs')).mtimeMs,
  );
  if (built < sources) execFileSync(process.execPath, [join(packageDir, 'build.mjs')]);
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundle as a process of its own (asynchronously: the fake answers from this process). */
function gp(
  args: string[],
  env: Record<string, string> = {},
  onSpawn?: (child: ChildProcess) => void,
): Promise<Ran> {
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15_000,
  });
  onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('dist/gp.cjs', () => {
  let fake: FakeWorkspace;
  let dir: string;
  before(async () => {
    ensureBuilt();
    fake = await FakeWorkspace.start();
    dir = mkdtempSync(join(tmpdir(), 'gp-bundle-'));
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its help and version', async () => {
    const help = await gp(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: gp <command> \[arguments\]$/m);
    assert.equal((await gp(['version'])).stdout, `gp ${GP_VERSION} (Atelier)\n`);
  });

  it('writes and validates a .gitpod.yml', async () => {
    const env = { GITPOD_REPO_ROOT: dir };
    assert.equal((await gp(['init'], env)).code, 0);
    const valid = await gp(['validate'], env);
    assert.deepEqual([valid.code, valid.stdout], [0, '✔ .gitpod.yml is valid (1 task, 1 port)\n']);
  });

  it('talks to the supervisor and to the server, and exits', async () => {
    const env = { ATELIER_SUPERVISOR_API: fake.url };
    const url = await gp(['url', '8080'], env);
    assert.deepEqual([url.code, url.stdout], [0, 'https://8080-amber-fox-1234abcd.ws.example.com\n']);
    const timeout = await gp(['timeout', 'show'], env);
    assert.equal(timeout.code, 0, timeout.stderr);
    assert.match(timeout.stdout, /^30m /);
    const denied = await gp(['timeout', 'set', '48h'], env);
    assert.deepEqual([denied.code, denied.stderr], [2, 'gp: a time-out is at most 24h\n']);
    assert.equal(`${timeout.stdout}${denied.stderr}`.includes(WORKSPACE_TOKEN), false);
  });

  it('says so when no supervisor answers, exit 1', async () => {
    const r = await gp(['ports', 'list'], { ATELIER_SUPERVISOR_API: 'http://127.0.0.1:9' });
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [
        1,
        '',
        "gp: cannot reach the workspace's supervisor at http://127.0.0.1:9 — gp works inside an Atelier workspace\n",
      ],
    );
  });

  it('ends a wait on Ctrl-C (SIGINT) with 130', async () => {
    let child: ChildProcess | undefined;
    const running = gp(['ports', 'await', '4999'], { ATELIER_SUPERVISOR_API: fake.url }, (c) => {
      child = c;
    });
    const deadline = Date.now() + 10_000;
    while (!fake.state.requests.includes('GET /v1/ports/4999/await')) {
      assert.ok(Date.now() < deadline, 'gp never asked for the port');
      await new Promise((r) => setTimeout(r, 20));
    }
    child?.kill('SIGINT');
    const r = await running;
    assert.deepEqual([r.code, r.stdout, r.stderr], [130, '', '']);
  });
});
