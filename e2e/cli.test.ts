// The `atelier` command line as a user types it: config validation, and workspaces through the API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AtelierProcess, BIN, ROOT } from './harness/atelier.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function atelierCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const NONCE = `${Date.now()}`;

describe('atelier command line', { timeout: 300_000 }, () => {
  let git: GitServer;
  let atelier: AtelierProcess;
  let token: string;

  before(async () => {
    git = await startGitServer();
    createRepo(git.root, 'tool', { 'README.md': 'cli\n' });
    // a new Dockerfile each run, so that no image of an earlier run is found in the engine's store
    createRepo(git.root, 'built', {
      '.gitpod.yml': 'image:\n  file: .gitpod.Dockerfile\n',
      '.gitpod.Dockerfile': `FROM localhost/atelier-workspace:bookworm\nRUN echo "cli-build-${NONCE} $((6*7))"\n`,
    });
    atelier = await AtelierProcess.start({ name: 'cli' });
    token = await atelier.createUser('cli-user');
  });

  after(async () => {
    await atelier?.dispose();
    await git?.close();
  });

  test('config validate lists every problem with its key, exit 2; a good file passes', async () => {
    const bad = join(atelier.dataDir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'port: 70000',
        'colour: blue',
        'database:',
        '  mysql: { host: db }',
        'workspace:',
        '  timeouts: { startup: soon }',
      ].join('\n'),
    );
    const r = await atelierCli(['config', 'validate', bad]);
    assert.equal(r.code, 2, r.stderr);
    for (const key of ['port', 'colour', 'database.mysql', 'workspace.timeouts.startup'])
      assert.ok(r.stderr.includes(key), `the problem with ${key} is named:\n${r.stderr}`);
    const good = await atelierCli(['config', 'validate', atelier.configFile]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /is valid/);
  });

  test('workspace create --wait, list, stop --wait, delete; a bad branch is a clear error', async () => {
    const env = { ATELIER_TOKEN: token, ATELIER_URL: atelier.url };
    const created = await atelierCli(['workspace', 'create', `${git.url}/tool.git`, '--wait'], env);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim().split('\n')[0] as string;
    assert.match(created.stderr + created.stdout, /running/);
    const listed = await atelierCli(['workspace', 'list'], env);
    assert.match(listed.stdout, new RegExp(`^${id}\\trunning\\t`, 'm'));
    const stopped = await atelierCli(['workspace', 'stop', id, '--wait'], env);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr + stopped.stdout, /stopped/);
    assert.equal((await atelierCli(['workspace', 'delete', id], env)).code, 0);
    assert.doesNotMatch((await atelierCli(['workspace', 'list'], env)).stdout, new RegExp(id));

    const wrong = await atelierCli(
      ['workspace', 'create', `${git.url}/tool.git`, '--ref', 'no-such-branch'],
      env,
    );
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /no-such-branch/);
    const noToken = await atelierCli(['workspace', 'list'], { ATELIER_TOKEN: '', ATELIER_URL: atelier.url });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /ATELIER_TOKEN/);
  });

  test('workspace create --wait prints the image build as it happens', async () => {
    const env = { ATELIER_TOKEN: token, ATELIER_URL: atelier.url };
    const created = await atelierCli(['workspace', 'create', `${git.url}/built.git`, '--wait'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /building/);
    assert.match(created.stderr, new RegExp(`cli-build-${NONCE} 42`), "the RUN step's output is in the log");
    assert.match(created.stderr, /running/);
    const id = created.stdout.trim().split('\n')[0] as string;
    assert.equal((await atelierCli(['workspace', 'delete', id], env)).code, 0);
  });
});
