// The builder's view of a repository: naming the content needs no file contents; building does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import { repoPath, SourceCheckout } from './source.js';

describe('SourceCheckout', () => {
  let dir: string;
  let url: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'atelier-source-'));
    const work = join(dir, 'work');
    mkdirSync(join(work, 'docker'), { recursive: true });
    writeFileSync(join(work, 'docker/Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(work, 'big.bin'), Buffer.alloc(4 * 1024 * 1024, 7));
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd, stdio: 'pipe' });
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'x');
    git(dir, 'clone', '-q', '--bare', work, 'repo.git');
    git(join(dir, 'repo.git'), 'config', 'uploadpack.allowFilter', 'true');
    url = `file://${join(dir, 'repo.git')}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a trees-only fetch names files and folders without downloading any file', async () => {
    const trees = await SourceCheckout.fetch({ cloneUrl: url }, { treesOnly: true });
    try {
      const kinds = execFileSync(
        'git',
        ['-C', trees.dir, 'cat-file', '--batch-all-objects', '--batch-check'],
        {
          encoding: 'utf8',
        },
      );
      assert.doesNotMatch(kinds, / blob /, 'no file content was fetched');
      assert.match((await trees.objectId('docker/Dockerfile', 'blob')) ?? '', /^[0-9a-f]{40}$/);
      assert.match((await trees.objectId('docker', 'tree')) ?? '', /^[0-9a-f]{40}$/);
      assert.match((await trees.objectId('', 'tree')) ?? '', /^[0-9a-f]{40}$/);
      assert.equal(await trees.objectId('docker', 'blob'), undefined, 'a folder is no file');
      assert.equal(await trees.objectId('docker/Dockerfile', 'tree'), undefined, 'a file is no folder');
      assert.equal(await trees.objectId('missing', 'blob'), undefined);

      // the files of exactly that commit, for a build
      const files = await SourceCheckout.fetch({ cloneUrl: url, revision: trees.commit });
      try {
        assert.equal(files.commit, trees.commit);
        assert.equal(
          await files.objectId('docker/Dockerfile', 'blob'),
          await trees.objectId('docker/Dockerfile', 'blob'),
        );
        const out = join(dir, 'extracted');
        mkdirSync(out);
        await files.extract('docker', out);
        assert.equal(readFileSync(join(out, 'Dockerfile'), 'utf8'), 'FROM scratch\n');
        assert.equal(await files.read('docker/Dockerfile'), 'FROM scratch\n');
      } finally {
        await files.dispose();
      }
    } finally {
      await trees.dispose();
    }
  });

  test('paths stay inside the repository', () => {
    assert.equal(repoPath('./docker/', 'x'), 'docker');
    assert.equal(repoPath('.', 'x'), '');
    assert.equal(repoPath('a/../b', 'x'), 'b');
    assert.throws(
      () => repoPath('../etc', 'the build context'),
      /the build context '\.\.\/etc' is outside the repository/,
    );
    assert.throws(() => repoPath('/etc', 'the Dockerfile'), /outside the repository/);
  });
});

describe('SourceCheckout of a private repository (fake-github over git http-backend)', () => {
  let scm: FakeScm;
  before(async () => {
    scm = await startFakeGitHub({
      users: [{ login: 'ada', id: 1, name: 'Ada', email: 'ada@example.com' }],
      apps: [],
      repos: [
        {
          owner: 'ada',
          name: 'tools',
          private: true,
          branches: { main: { '.gitpod.Dockerfile': 'FROM scratch\n' } },
        },
      ],
    });
  });
  after(() => scm?.close());

  test("is read with the owner's token, sent as a header; without it the fetch is refused", async () => {
    const cloneUrl = `${scm.url}/ada/tools.git`;
    await assert.rejects(SourceCheckout.fetch({ cloneUrl }, { treesOnly: true }), /cannot fetch .* to build/);
    const token = scm.issueToken('ada', ['repo']);
    const files = await SourceCheckout.fetch({
      cloneUrl,
      credentials: { username: 'x-access-token', password: token },
    });
    try {
      assert.equal(await files.read('.gitpod.Dockerfile'), 'FROM scratch\n');
      assert.ok(scm.log.some((e) => e.kind === 'git' && e.login === 'ada' && e.status === 200));
    } finally {
      await files.dispose();
    }
  });
});
