import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseContextUrl } from '@atelier/protocol';
import { makeRepo, serveRepos } from '../testing/git-repos.js';
import { MAX_CONFIG_BYTES, readConfigFiles, readWorkspaceConfig } from './config-files.js';

describe('reading the workspace configuration of a repository (git http-backend)', () => {
  const root = mkdtempSync(join(tmpdir(), 'atelier-config-repos-'));
  let git: Awaited<ReturnType<typeof serveRepos>>;
  const repo = (name: string) => parseContextUrl(`${git.url}/${name}.git`);

  before(async () => {
    makeRepo(root, 'both', {
      files: {
        '.gitpod.yml': 'image: node:20\ntasks:\n  - init: npm ci\n    command: npm start\n',
        '.devcontainer/devcontainer.json': '{ "image": "debian" }',
        'src/.gitpod.yml': 'not: read',
      },
    });
    makeRepo(root, 'named', {
      files: { '.devcontainer/go/devcontainer.json': '{ "image": "golang:1.23" }' },
    });
    makeRepo(root, 'broken', { files: { '.gitpod.yml': 'tasks:\n  - comand: x\n' } });
    makeRepo(root, 'plain');
    makeRepo(root, 'huge', { files: { '.gitpod.yml': `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n` } });
    git = await serveRepos(root);
  });

  after(async () => {
    await git.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('only the candidate files are read; .gitpod.yml wins and says so', async () => {
    const { files, revision } = await readConfigFiles(repo('both'), undefined);
    assert.deepEqual([...files.keys()], ['.gitpod.yml', '.devcontainer/devcontainer.json']);
    assert.match(revision, /^[0-9a-f]{40}$/, 'the commit is recorded: image builds use the same one');
    const config = await readWorkspaceConfig(repo('both'), 'v1');
    assert.equal(config.revision, revision);
    assert.equal(config.origin, 'gitpod');
    assert.deepEqual(config.image, { kind: 'ref', ref: 'node:20' });
    assert.equal(config.tasks[0]?.init, 'npm ci');
    assert.match(config.warnings[0]?.message ?? '', /devcontainer\.json is not used/);
  });

  test('a named dev container configuration; a commit id as ref', async () => {
    const sha = execFileSync('git', ['-C', join(root, 'named.git'), 'rev-parse', 'main'])
      .toString()
      .trim();
    const config = await readWorkspaceConfig(repo('named'), sha);
    assert.equal(config.origin, 'devcontainer');
    assert.equal(config.file, '.devcontainer/go/devcontainer.json');
    assert.deepEqual(config.image, { kind: 'ref', ref: 'golang:1.23' });
  });

  test('no configuration: the default; an invalid one: its line and key', async () => {
    assert.equal((await readWorkspaceConfig(repo('plain'), 'main')).origin, 'default');
    await assert.rejects(readWorkspaceConfig(repo('broken'), undefined), {
      code: 'invalid_argument',
      message: /^\.gitpod\.yml:2:5: tasks\[0\]\.comand: unknown key 'comand'/,
    });
  });

  test('a configuration file that is too large, a ref that does not exist, a repository that does not', async () => {
    await assert.rejects(readConfigFiles(repo('huge'), undefined), {
      code: 'invalid_argument',
      message: /\.gitpod\.yml is \d+ bytes; a configuration file may have at most/,
    });
    await assert.rejects(readConfigFiles(repo('plain'), 'no-such-branch'), {
      code: 'invalid_argument',
      message: /cannot read the repository .*plain\.git: .*no-such-branch/,
    });
    await assert.rejects(readConfigFiles(repo('missing'), undefined), {
      code: 'invalid_argument',
      message: /cannot read the repository .*missing\.git/,
    });
  });
});
