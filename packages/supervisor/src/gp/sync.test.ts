// `gp sync-await` / `gp sync-done` with real files in a temporary folder: names, waiting, and Ctrl-C.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAgainst } from './fake-workspace.js';
import { awaitFile, SYNC_NAME } from './sync.js';

// sync needs no supervisor: an address where none listens proves it
const NO_API = 'http://127.0.0.1:9';

describe('sync names', () => {
  const cases: [string, boolean][] = [
    ['deps', true],
    ['build-1.2_done', true],
    ['a'.repeat(100), true],
    ['a'.repeat(101), false],
    ['', false],
    ['../etc/passwd', false],
    ['a/b', false],
    ['with space', false],
    ['ümlaut', false],
  ];
  for (const [name, valid] of cases)
    it(`${JSON.stringify(name.slice(0, 20))} ${valid ? 'ok' : 'rejected'}`, () => {
      assert.equal(SYNC_NAME.test(name), valid);
    });
});

describe('gp sync-await / sync-done', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gp-sync-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sync-done writes gp-<name>.done; sync-await then returns at once', async () => {
    assert.deepEqual(await runAgainst(NO_API, ['sync-done', 'ready'], { syncDir: dir }), {
      code: 0,
      stdout: '',
      stderr: '',
    });
    assert.ok(existsSync(join(dir, 'gp-ready.done')));
    assert.equal((await runAgainst(NO_API, ['sync-await', 'ready'], { syncDir: dir })).code, 0);
  });

  it('sync-await waits until another process calls sync-done', async () => {
    const started = Date.now();
    let done = false;
    const waiting = runAgainst(NO_API, ['sync-await', 'deps'], { syncDir: dir }).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false);
    await runAgainst(NO_API, ['sync-done', 'deps'], { syncDir: dir });
    const r = await waiting;
    assert.equal(r.code, 0);
    assert.ok(Date.now() - started >= 300);
  });

  it('the poll finds a file the watch did not report', async () => {
    const missing = join(dir, 'later', 'gp-x.done'); // its folder does not exist yet: no watch
    const found = awaitFile(missing, new AbortController().signal, 50);
    setTimeout(() => {
      mkdirSync(join(dir, 'later'));
      writeFileSync(missing, '');
    }, 100);
    assert.equal(await found, true);
  });

  it('Ctrl-C ends the wait with 130', async () => {
    const stop = new AbortController();
    const waiting = runAgainst(NO_API, ['sync-await', 'never'], { syncDir: dir, signal: stop.signal });
    setTimeout(() => stop.abort(), 100);
    const r = await waiting;
    assert.deepEqual(r, { code: 130, stdout: '', stderr: '' });
  });

  it('rejects a bad name with the usage', async () => {
    const r = await runAgainst(NO_API, ['sync-done', '../x'], { syncDir: dir });
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "gp: '../x' is not an event name: use 1–100 letters, digits, '.', '_' or '-'\nusage: gp sync-done <name>\n",
    );
    assert.equal((await runAgainst(NO_API, ['sync-await'], { syncDir: dir })).code, 2);
  });
});
