import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cloneRepository, explainGitFailure, redact } from './git.js';
import { makeRepo } from './repo-fixture.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('cloneRepository against real repositories', () => {
  let dir: string;
  let repo: ReturnType<typeof makeRepo>;
  const home = () => join(dir, 'home');
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sup-git-'));
    repo = makeRepo(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const clone = async (name: string, cloneUrl: string, ref?: string) => {
    const progress: string[] = [];
    const target = join(dir, 'ws', name);
    await cloneRepository({ cloneUrl, ref, dir: target, home: home(), onProgress: (l) => progress.push(l) });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: target, encoding: 'utf8' }).trim();
    return { target, head, progress };
  };

  it('clones the default branch, shallow, reporting progress', async () => {
    const { target, head, progress } = await clone('default', repo.url);
    assert.equal(head, repo.second);
    assert.equal(readFileSync(join(target, 'README.md'), 'utf8'), 'two\n');
    const depth = execFileSync('git', ['rev-list', '--count', 'HEAD'], { cwd: target, encoding: 'utf8' });
    assert.equal(depth.trim(), '1');
    assert.ok(
      progress.some((l) => l.startsWith("Cloning into '")),
      progress.join('|'),
    );
  });

  it('clones a branch', async () => {
    const { target } = await clone('branch', repo.url, 'feature');
    assert.ok(existsSync(join(target, 'FEATURE.md')));
  });

  it('clones a tag', async () => {
    const { head } = await clone('tag', repo.url, 'v1');
    assert.equal(head, repo.first);
  });

  it('checks out a commit by its sha', async () => {
    const { target, head } = await clone('sha', repo.url, repo.first);
    assert.equal(head, repo.first);
    assert.equal(readFileSync(join(target, 'README.md'), 'utf8'), 'one\n');
  });

  it("an issue's local branch starts at the checked-out commit; a fork's target is the remote upstream", async () => {
    const target = join(dir, 'ws', 'issue');
    await cloneRepository({
      cloneUrl: repo.url,
      dir: target,
      home: home(),
      localBranch: 'ada/fix-the-parser-7',
      upstreamCloneUrl: 'https://git.example.com/team/app.git',
      onProgress: () => {},
    });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: target, encoding: 'utf8' }).trim();
    assert.equal(git('symbolic-ref', '--short', 'HEAD'), 'ada/fix-the-parser-7');
    assert.equal(git('rev-parse', 'HEAD'), repo.second);
    assert.equal(git('remote', 'get-url', 'upstream'), 'https://git.example.com/team/app.git');
    assert.equal(git('remote', 'get-url', 'origin'), repo.url);
  });

  it('names an unknown branch or tag', async () => {
    await assert.rejects(clone('unknown', repo.url, 'no-such-branch'), {
      code: 'not_found',
      message: `branch or tag 'no-such-branch' does not exist in ${repo.url}`,
    });
  });

  it('names an unknown commit', async () => {
    const sha = 'f'.repeat(40);
    await assert.rejects(clone('unknown-sha', repo.url, sha), {
      code: 'not_found',
      message: `commit ${sha} does not exist in ${repo.url} (or the server does not serve it)`,
    });
  });

  it('says when the repository does not exist', async () => {
    const url = `file://${join(dir, 'missing.git')}`;
    await assert.rejects(clone('missing', url), {
      code: 'not_found',
      message: `repository ${url} not found — check the URL`,
    });
  });

  it('says when the repository cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/repo.git`;
    await assert.rejects(clone('unreachable', url), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'unavailable');
      assert.match(
        e.message,
        new RegExp(`^cannot reach the repository ${url}: .*Failed to connect to 127.0.0.1 port`),
      );
      return true;
    });
  });
});

describe('explainGitFailure', () => {
  const url = 'https://github.com/acme/private';
  const rows = [
    {
      stderr: "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
      code: 'permission_denied',
      message: `authentication required to clone ${url} — the repository is private or the credentials were rejected`,
    },
    {
      stderr: "remote: Repository not found.\nfatal: repository 'https://github.com/acme/private/' not found",
      code: 'not_found',
      message: `repository ${url} not found — check the URL`,
    },
    {
      stderr:
        "fatal: unable to access 'https://github.com/acme/private/': Could not resolve host: github.com",
      code: 'unavailable',
      message: `cannot reach the repository ${url}: unable to access 'https://github.com/acme/private/': Could not resolve host: github.com`,
    },
    {
      stderr: 'Receiving objects:  40% (2/5)\rfatal: write error: No space left on device',
      code: 'resource_exhausted',
      message: `the workspace disk is full while cloning ${url} — free space or use a larger disk`,
    },
  ];
  for (const row of rows) {
    it(row.code, () => {
      const e = explainGitFailure(row.stderr, { cloneUrl: url, exit: 128 });
      assert.deepEqual({ code: e.code, message: e.message }, { code: row.code, message: row.message });
    });
  }

  it('hides credentials in URLs', () => {
    assert.equal(redact('https://x-token:ghp_secret@github.com/a/b'), 'https://***@github.com/a/b');
    const e = explainGitFailure('fatal: boom', { cloneUrl: 'https://u:p@h/r', exit: 1 });
    assert.equal(e.message, 'cloning https://***@h/r failed: fatal: boom');
  });
});
