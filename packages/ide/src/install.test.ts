// The installer against the real npm registry: one install for concurrent callers, a failed install
// leaves nothing half-done, stale locks are taken over; then code-server itself from .cache/ide.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { utimes } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '@atelier/protocol';
import { z } from 'zod';
import { installOnce } from './atomic-install.js';
import { ensureIde, findIde } from './index.js';
import { explainNpmFailure, missingBuildTools } from './install.js';

const base = mkdtempSync(join(tmpdir(), 'atelier-ide-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(base, `case-${++n}`);
  mkdirSync(d);
  return d;
};

const markerSchema = z.object({
  kind: z.literal('is-number'),
  version: z.string(),
  bytes: z.number(),
  installMs: z.number(),
});

/** The generic path ensureIde takes, with a small package: lock, temporary folder, npm install,
 * verify, marker, rename. */
function installIsNumber(
  dir: string,
  spec = 'is-number@7',
  lock: { staleMs?: number; waitMs?: number } = {},
) {
  const lines: string[] = [];
  const done = installOnce({
    dir,
    name: 'is-number',
    marker: markerSchema,
    lock,
    onProgress: (line) => lines.push(line),
    fill: async (ctx) => {
      await ctx.npmInstall('pkg', [spec]);
      const pkg = JSON.parse(
        readFileSync(join(ctx.root, 'pkg', 'node_modules', 'is-number', 'package.json'), 'utf8'),
      ) as { version: string };
      return { kind: 'is-number' as const, version: pkg.version };
    },
  });
  return { done, lines };
}

const logs = (dir: string) => readdirSync(dir).filter((f) => /^install-.*\.log$/.test(f));

describe('installOnce (with is-number from the registry)', () => {
  it('two concurrent callers get the same install, made by one npm run; a later call returns at once', async () => {
    const dir = freshDir();
    const a = installIsNumber(dir);
    const b = installIsNumber(dir);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.root, join(dir, 'is-number'));
    assert.equal(rb.root, ra.root);
    assert.deepEqual(rb.marker, ra.marker);
    assert.deepEqual([ra.installed, rb.installed].sort(), [false, true]);
    const waiter = ra.installed ? b : a;
    assert.ok(
      waiter.lines.some((l) => l.startsWith('waiting for another install')),
      waiter.lines.join('\n'),
    );
    assert.equal(logs(dir).length, 1, 'one npm run');
    assert.match(ra.marker.version, /^7\./);
    assert.ok(ra.marker.bytes > 1000, `bytes ${ra.marker.bytes}`);
    assert.ok(existsSync(join(ra.root, 'pkg', 'node_modules', 'is-number', 'index.js')));
    // nothing left behind but the install and its log
    assert.deepEqual(readdirSync(dir).sort(), [logs(dir)[0], 'is-number'].sort());

    const started = Date.now();
    const again = installIsNumber(dir);
    const rc = await again.done;
    assert.equal(rc.installed, false);
    assert.deepEqual(rc.marker, ra.marker);
    assert.ok(Date.now() - started < 500, 'found, not installed');
    assert.equal(logs(dir).length, 1);
  });

  it('a second process waits for the first and gets its install', async () => {
    const dir = freshDir();
    // the same call from another process, started first
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { z } from 'zod';
         import { installOnce } from ${JSON.stringify(fileURLToPath(new URL('./atomic-install.ts', import.meta.url)))};
         const r = await installOnce({ dir: process.argv[1], name: 'is-number',
           marker: z.object({ kind: z.literal('is-number'), version: z.string(), bytes: z.number(), installMs: z.number() }),
           fill: async (ctx) => { await ctx.npmInstall('pkg', ['is-number@7']); return { kind: 'is-number', version: '7' }; } });
         process.stdout.write(JSON.stringify(r));`,
        dir,
      ],
      { cwd: fileURLToPath(new URL('.', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // the lock exists a moment before its holder has written its name into it
    const lock = join(dir, 'is-number.lock');
    while (!(existsSync(lock) && readFileSync(lock, 'utf8').includes('pid')) && child.exitCode === null)
      await sleep(20);
    const here = installIsNumber(dir);
    const mine = await here.done;
    assert.equal(await exited, 0);
    const theirs = JSON.parse(out) as { root: string; installed: boolean; marker: unknown };
    assert.equal(theirs.installed, true);
    assert.equal(mine.installed, false);
    assert.equal(mine.root, theirs.root);
    assert.deepEqual(mine.marker, theirs.marker);
    assert.ok(
      here.lines.some((l) => l.startsWith(`waiting for another install to finish (pid ${child.pid} on `)),
      here.lines.join('\n'),
    );
    assert.equal(logs(dir).length, 1, 'one npm run');
  });

  it("a failing install leaves no half-done folder and says why, with npm's last lines and the log", async () => {
    const dir = freshDir();
    const { done } = installIsNumber(dir, 'is-number@999.0.0');
    const err = await done.then(
      () => assert.fail('installed a version that does not exist'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError, String(err));
    const [log] = logs(dir);
    assert.ok(log);
    assert.match(err.message, /npm install is-number@999\.0\.0 failed \(exit \d+\)/);
    assert.ok(err.message.includes(join(dir, log)), err.message);
    const details = (err.details ?? []).join('\n');
    assert.match(details, /ETARGET|No matching version/, details);
    assert.ok((err.details ?? []).length <= 21);
    assert.deepEqual(readdirSync(dir), [log], 'no temporary folder, no install, no lock');
    assert.match(readFileSync(join(dir, log), 'utf8'), /npm exited with/);
    // and the next attempt starts clean
    const ok = await installIsNumber(dir).done;
    assert.equal(ok.installed, true);
  });

  it('takes over a lock whose holder process is gone, without waiting for it to age', async () => {
    const dir = freshDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead);
    const holder = { pid: dead, hostname: hostname(), since: new Date().toISOString(), token: 'dead0000' };
    writeFileSync(join(dir, 'is-number.lock'), JSON.stringify(holder));
    // a half-done folder of that dead installer
    mkdirSync(join(dir, `is-number.tmp-${dead}-0000`));
    const { done, lines } = installIsNumber(dir, 'is-number@7', { staleMs: 10 * 60_000 });
    const r = await done;
    assert.equal(r.installed, true);
    assert.ok(
      lines.some((l) => l.includes(`its holder (pid ${dead}) is gone`)),
      lines.join('\n'),
    );
    assert.deepEqual(readdirSync(dir).sort(), [logs(dir)[0], 'is-number'].sort());
  });

  it('takes over a lock that has not been refreshed for longer than staleMs, even from a live pid', async () => {
    const dir = freshDir();
    const lock = join(dir, 'is-number.lock');
    const holder = {
      pid: process.pid,
      hostname: 'elsewhere',
      since: '2020-01-01T00:00:00Z',
      token: 'old00000',
    };
    writeFileSync(lock, JSON.stringify(holder));
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(lock, old, old);
    const { done, lines } = installIsNumber(dir, 'is-number@7', { staleMs: 60_000 });
    assert.equal((await done).installed, true);
    assert.ok(
      lines.some((l) => /not refreshed for \d+ s/.test(l)),
      lines.join('\n'),
    );
  });

  it('gives up waiting for a live holder after waitMs, saying who holds the lock', async () => {
    const dir = freshDir();
    const holder = {
      pid: process.pid,
      hostname: hostname(),
      since: new Date().toISOString(),
      token: 'live0000',
    };
    writeFileSync(join(dir, 'is-number.lock'), JSON.stringify(holder));
    const { done } = installIsNumber(dir, 'is-number@7', { waitMs: 300 });
    await assert.rejects(done, (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, 'unavailable');
      assert.match(e.message, new RegExp(`pid ${process.pid} on ${hostname()}`));
      return true;
    });
    assert.deepEqual(readdirSync(dir), ['is-number.lock'], 'the live holder keeps its lock');
  });
});

describe('prerequisites of a code-server install', () => {
  it('names every build tool a bare machine lacks', () => {
    const empty = freshDir();
    assert.deepEqual(missingBuildTools({ PATH: empty }, [empty]), ['g++', 'make', 'python3', 'libkrb5-dev']);
  });

  const rows: Array<[string, string[], RegExp | undefined]> = [
    [
      'no gssapi.h',
      ['../src/kerberos.h:5:10: fatal error: gssapi.h: No such file or directory', 'gyp ERR! build error'],
      /needs libkrb5-dev, g\+\+, make and python3: run `apt-get install .*` \(scripts\/setup.sh does this\) — missing: libkrb5-dev$/,
    ],
    ['no compiler', ['make: g++: No such file or directory', 'sh: 1: g++: not found'], /missing: g\+\+$/],
    ['no make', ['gyp ERR! stack Error: not found: make'], /missing: make$/],
    ['no python', ['gyp ERR! find Python Python is not set from command line'], /missing: python3$/],
    ['no headers', ['gyp: /x/include/node/common.gypi not found'], /common\.gypi/],
    ['wrong node', ['ERROR: code-server currently requires node v24.'], /wrong Node/],
    ['something else', ['npm error code ECONNRESET'], undefined],
  ];
  for (const [name, output, expected] of rows) {
    it(`explains npm's failure: ${name}`, () => {
      const got = explainNpmFailure(output);
      if (expected) assert.match(got ?? '', expected);
      else assert.equal(got, undefined);
    });
  }
});

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cache = join(repo, '.cache', 'ide');

describe('code-server from the installed IDE', () => {
  it('is found in .cache/ide and serves /healthz with Node 24', async (t) => {
    const ide = await findIde(cache);
    if (!ide) {
      t.skip(
        `no complete IDE install in ${cache}: run scripts/setup.sh test (or packages/ide/bin/install.ts)`,
      );
      return;
    }
    const again = await ensureIde({ dir: cache });
    assert.deepEqual(again, ide, 'ensureIde returns the existing install');
    assert.match(ide.nodeVersion, /^24\./);
    assert.match(ide.codeServerModules, /node_modules$/);
    const nodeV = spawnSync(ide.nodeBinary, ['--version'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(nodeV, `v${ide.nodeVersion}`);

    const scratch = mkdtempSync(join(tmpdir(), 'atelier-cs-'));
    const folder = join(scratch, 'project');
    mkdirSync(folder);
    writeFileSync(join(folder, 'README.md'), '# hello\n');
    const port = await freePort();
    const child = spawn(
      ide.nodeBinary,
      [
        ide.codeServerEntry,
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--config',
        join(scratch, 'config.yaml'),
        '--user-data-dir',
        join(scratch, 'user'),
        '--extensions-dir',
        join(scratch, 'ext'),
        folder,
      ],
      {
        env: {
          ...process.env,
          HOME: scratch,
          XDG_DATA_HOME: join(scratch, 'data'),
          XDG_CONFIG_HOME: scratch,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const status = await waitForHealthz(`http://127.0.0.1:${port}/healthz`, 30_000, () => child.exitCode);
      assert.equal(status, 200, output);
      const page = await fetch(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

async function waitForHealthz(
  url: string,
  timeoutMs: number,
  exitCode: () => number | null,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exitCode() !== null) throw new Error(`code-server exited with ${exitCode()}`);
    try {
      const res = await fetch(url);
      return res.status;
    } catch (e) {
      last = (e as Error).message; // not listening yet: try again
    }
    await sleep(100);
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms (${last})`);
}
