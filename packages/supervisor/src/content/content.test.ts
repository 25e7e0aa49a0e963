import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContentInit } from '@atelier/protocol';
import { silentLogger } from '../log.js';
import { Content } from './content.js';
import { makeRepo } from './repo-fixture.js';

describe('Content', () => {
  let dir: string;
  let repo: ReturnType<typeof makeRepo>;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sup-content-'));
    repo = makeRepo(join(dir, 'src'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const setup = (init: ContentInit) => {
    const root = join(dir, `ws${++n}`);
    mkdirSync(root, { recursive: true });
    const readyFile = join(root, '.gitpod/ready');
    const checkout = join(root, 'project');
    const content = new Content({
      init,
      checkout,
      workspaceRoot: root,
      readyFile,
      home: dir,
      logger: silentLogger,
    });
    return { root, readyFile, checkout, content };
  };

  it('clones, writes the marker, then reports available from-other', async () => {
    const { content, readyFile, checkout } = setup({ kind: 'git', cloneUrl: repo.url });
    assert.deepEqual(content.status, { available: false, source: null, error: null, progress: null });
    await content.start();
    assert.deepEqual(content.status, { available: true, source: 'from-other', error: null, progress: null });
    assert.equal(readFileSync(join(checkout, 'README.md'), 'utf8'), 'two\n');
    const marker = JSON.parse(readFileSync(readyFile, 'utf8')) as { source: string; at: string };
    assert.equal(marker.source, 'from-other');
    assert.ok(!Number.isNaN(Date.parse(marker.at)));
  });

  it('clones with the gitConfig pairs, then each additional repository in its own folder', async () => {
    const other = makeRepo(join(dir, 'other'));
    const { content, checkout, root } = setup({
      kind: 'git',
      cloneUrl: repo.url,
      gitConfig: { 'core.autocrlf': 'input', 'atelier.test': 'from-gitpod-yml' },
      additional: [
        { cloneUrl: other.url, location: 'other' },
        { cloneUrl: `${other.url}`, location: 'nested/again' },
      ],
    });
    await content.start();
    assert.equal(content.status.error, null);
    const config = (key: string, at: string) =>
      execFileSync('git', ['-C', at, 'config', '--get', key], { encoding: 'utf8' }).trim();
    assert.equal(config('atelier.test', checkout), 'from-gitpod-yml');
    assert.equal(config('core.autocrlf', checkout), 'input');
    assert.equal(readFileSync(join(root, 'other/README.md'), 'utf8'), 'two\n');
    assert.equal(readFileSync(join(root, 'nested/again/README.md'), 'utf8'), 'two\n');
    assert.throws(() => config('atelier.test', join(root, 'other')), 'gitConfig is for the main checkout');
  });

  it('gitConfig pairs also apply to a checkout of a commit id', async () => {
    const { content, checkout } = setup({
      kind: 'git',
      cloneUrl: repo.url,
      ref: repo.first,
      gitConfig: { 'atelier.test': 'commit' },
    });
    await content.start();
    assert.equal(content.status.error, null);
    assert.equal(
      execFileSync('git', ['-C', checkout, 'config', '--get', 'atelier.test'], { encoding: 'utf8' }).trim(),
      'commit',
    );
    assert.equal(readFileSync(join(checkout, 'README.md'), 'utf8'), 'one\n');
  });

  it('skips initialization when the marker exists (restarted container)', async () => {
    const { content, readyFile, checkout } = setup({ kind: 'git', cloneUrl: 'file:///nowhere.git' });
    mkdirSync(join(readyFile, '..'), { recursive: true });
    writeFileSync(readyFile, JSON.stringify({ source: 'from-backup', at: '2026-01-01T00:00:00.000Z' }));
    await content.start();
    assert.deepEqual(content.status, { available: true, source: 'from-backup', error: null, progress: null });
    assert.equal(existsSync(checkout), false, 'no clone happened');
  });

  it('starts afresh over a clone interrupted before the marker was written', async () => {
    const { content, checkout } = setup({ kind: 'git', cloneUrl: repo.url, ref: 'feature' });
    mkdirSync(join(checkout, '.git'), { recursive: true });
    writeFileSync(join(checkout, 'half-written'), 'x');
    await content.start();
    assert.equal(content.status.available, true);
    assert.equal(existsSync(join(checkout, 'half-written')), false);
    assert.ok(existsSync(join(checkout, 'FEATURE.md')));
  });

  it('reports a failed clone as an error and stays unavailable', async () => {
    const { content, readyFile } = setup({ kind: 'git', cloneUrl: repo.url, ref: 'nope' });
    await content.start();
    assert.deepEqual(content.status, {
      available: false,
      source: null,
      error: `branch or tag 'nope' does not exist in ${repo.url}`,
      progress: content.status.progress,
    });
    assert.equal(existsSync(readyFile), false);
  });

  it('creates the checkout for empty', async () => {
    const { content, checkout } = setup({ kind: 'empty' });
    await content.start();
    assert.equal(content.status.available, true);
    assert.ok(existsSync(checkout));
  });

  it('waits for the manager on backup; content/ready is idempotent and refuses another source', async () => {
    const { content, readyFile } = setup({ kind: 'backup' });
    await content.start();
    assert.equal(content.status.available, false);
    const waiting = content.waitSettled(5_000);
    await content.markReady('from-backup');
    assert.deepEqual(await waiting, { available: true, source: 'from-backup', error: null, progress: null });
    assert.equal(JSON.parse(readFileSync(readyFile, 'utf8')).source, 'from-backup');
    await content.markReady('from-backup');
    await assert.rejects(content.markReady('from-other'), { code: 'conflict' });
  });

  it('refuses content/ready when it initializes the content itself', async () => {
    const { content } = setup({ kind: 'git', cloneUrl: 'file:///nowhere.git' });
    await assert.rejects(content.markReady('from-backup'), {
      code: 'conflict',
      message: 'this workspace initializes its content itself (git); it takes no content/ready',
    });
  });

  it('waitSettled gives up after its timeout with the current status', async () => {
    const { content } = setup({ kind: 'backup' });
    const started = Date.now();
    assert.equal((await content.waitSettled(100)).available, false);
    assert.ok(Date.now() - started >= 90);
  });
});
