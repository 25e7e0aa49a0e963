import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AppError, parseContextUrl } from '@atelier/protocol';
import { makeRepo, serveRepos } from '../testing/git-repos.js';
import { checkRepository } from './repository-check.js';

const check = (url: string, ref?: string) => checkRepository(parseContextUrl(url), ref);

async function refusal(promise: Promise<void>): Promise<string> {
  const err = await promise.then(
    () => assert.fail('expected the check to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError);
  assert.equal(err.code, 'invalid_argument');
  return err.message;
}

describe('checkRepository over http (git http-backend)', () => {
  const root = mkdtempSync(join(tmpdir(), 'atelier-check-'));
  let git: Awaited<ReturnType<typeof serveRepos>>;
  let commit: string;
  before(async () => {
    const bare = makeRepo(root, 'hello');
    makeRepo(root, 'empty', { empty: true });
    commit = execFileSync('git', ['rev-parse', 'main'], { cwd: bare }).toString().trim();
    git = await serveRepos(root);
  });
  after(async () => {
    await git.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a repository with commits passes, with its branch, tag or a commit id as ref', async () => {
    await check(`${git.url}/hello.git`);
    await check(`${git.url}/hello.git`, 'main');
    await check(`${git.url}/hello.git`, 'v1');
    await check(`${git.url}/hello.git`, commit.slice(0, 7));
  });

  test('an unknown branch names the branch and the repository', async () => {
    assert.equal(
      await refusal(check(`${git.url}/hello.git`, 'nope')),
      `branch or tag "nope" does not exist in ${git.url}/hello.git`,
    );
  });

  test('an empty repository has no commits', async () => {
    assert.equal(
      await refusal(check(`${git.url}/empty.git`)),
      `repository ${git.url}/empty.git has no commits`,
    );
  });

  test("a missing repository is unreachable, with git's own first line", async () => {
    const message = await refusal(check(`${git.url}/missing.git`));
    assert.match(
      message,
      new RegExp(`^cannot reach the repository ${git.url}/missing.git: .*(not found|404)`),
    );
  });

  test('a port where nothing listens is unreachable', async () => {
    const message = await refusal(check('http://127.0.0.1:9/nothing.git'));
    assert.match(
      message,
      /^cannot reach the repository http:\/\/127.0.0.1:9\/nothing.git: .*(connect|Connection refused)/i,
    );
  });
});

test('a server that never answers is unreachable after the time-out', async () => {
  const silent = createServer((c) => c.resume()); // accepts connections, reads, says nothing
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  try {
    const url = `http://127.0.0.1:${port}/slow.git`;
    const started = Date.now();
    const err = await checkRepository(parseContextUrl(url), undefined, { timeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError);
    assert.equal(err.message, `cannot reach the repository ${url}: no answer within 0.5 s`);
    assert.ok(Date.now() - started < 5_000);
    // git's transport helper was ended too: nothing keeps the connection open
    const open = () => new Promise<number>((r, j) => silent.getConnections((e, n) => (e ? j(e) : r(n))));
    for (let i = 0; i < 40 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await open(), 0, 'a connection to the silent server is still open');
  } finally {
    silent.close();
  }
});

describe('checkRepository on file:// paths', () => {
  const root = mkdtempSync(join(tmpdir(), 'atelier-check-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a local repository passes; an empty one, a missing path and a plain folder do not', async () => {
    const url = pathToFileURL(makeRepo(root, 'local')).href;
    await check(url, 'main');
    const empty = pathToFileURL(makeRepo(root, 'void', { empty: true })).href;
    assert.equal(await refusal(check(empty)), `repository ${empty} has no commits`);
    assert.equal(
      await refusal(check(`file://${root}/absent`)),
      `there is no repository at ${root}/absent on the server`,
    );
    assert.match(
      await refusal(check(pathToFileURL(root).href)),
      /^cannot reach the repository .*not .*a git repository/,
    );
  });
});
