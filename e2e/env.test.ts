// A workspace's environment on Podman: the .gitpod.yml env, the user's variables (exact pattern over
// */*), the context URL's VAR=value prefix, task env for its task only, and the GITPOD_*/ATELIER_*
// variables; a blocked prefix variable is refused; no value reaches the log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { AtelierProcess } from './harness/atelier.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request, waitForPhase } from './harness/http.js';
import { podmanExec } from './harness/tree.js';

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null } | null;
}

let git: GitServer;
let atelier: AtelierProcess;
let token: string;

/** Values that must reach the workspace but never the log. */
const SECRET_ALL = 'user-all-s3cret';
const SECRET_EXACT = 'user-exact-s3cret';
const SPECIAL = `a b $HOME "q" 'r' \\ ;`;

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'envtest', {
    '.gitpod.yml': [
      'env:',
      '  FROM_CONFIG: config',
      '  USER_OVER_CONFIG: config',
      '  CONTEXT_OVER_ALL: config',
      'tasks:',
      // written to a temporary name and renamed, so a reader never sees half a file
      '  - name: with-env',
      '    command: env -0 > .task-env && mv .task-env task-env',
      '    env: { TASK_ONLY: task, FROM_CONFIG: task-wins }',
      '  - name: plain',
      '    command: env -0 > .plain-env && mv .plain-env plain-env',
    ].join('\n'),
  });
  atelier = await AtelierProcess.start({ name: 'env' });
  token = await atelier.createUser('env-user');
});

after(async () => {
  await atelier?.dispose();
  await git?.close();
});

const waitFor = (id: string, phase: string) =>
  waitForPhase<Ws>(atelier.url, token, id, phase, { timeoutMs: 120_000 });

/** The environment a task wrote (NUL-separated `env -0`, so values may hold newlines). */
async function taskEnv(container: string, file: string): Promise<Record<string, string>> {
  for (let i = 0; i < 150; i++) {
    const out = await podmanExec(container, 'gitpod', `cat /workspace/envtest/${file} 2>/dev/null || true`);
    if (out !== '') {
      const entries = out
        .split('\0')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
      return Object.fromEntries(entries);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the task did not write ${file}`);
}

const setVar = (name: string, value: string, repositoryPattern: string) =>
  api(atelier.url, token, 'PUT', '/api/v1/user/env-vars', { name, value, repositoryPattern });

test('config env → user variables → context prefix → system variables; task env for its task only', {
  timeout: 300_000,
}, async () => {
  await setVar('USER_ALL', SECRET_ALL, '*/*');
  await setVar('USER_OVER_CONFIG', 'user', '*/*');
  await setVar('EXACT_OVER_WILDCARD', 'wildcard', '*/*');
  // the repository is right below an IP address: the address is its owner
  await setVar('EXACT_OVER_WILDCARD', SECRET_EXACT, '127.0.0.1/envtest');
  await setVar('CONTEXT_OVER_ALL', 'user', '127.0.0.1/envtest');
  await setVar('SPECIAL', SPECIAL, '*/*');
  await setVar('OTHER_REPO', 'nope', 'someone/else');

  const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `FOO=bar,CONTEXT_OVER_ALL=context/${git.url}/envtest.git`,
  });
  const ws = await waitFor(id, 'running');
  const container = `atelier-ws-${ws.instance?.id}`;
  const env = await taskEnv(container, 'task-env');
  const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, env[n]]));
  assert.deepEqual(
    pick([
      'FOO',
      'FROM_CONFIG',
      'TASK_ONLY',
      'USER_ALL',
      'USER_OVER_CONFIG',
      'EXACT_OVER_WILDCARD',
      'CONTEXT_OVER_ALL',
      'SPECIAL',
      'OTHER_REPO',
    ]),
    {
      FOO: 'bar',
      FROM_CONFIG: 'task-wins',
      TASK_ONLY: 'task',
      USER_ALL: SECRET_ALL,
      USER_OVER_CONFIG: 'user',
      EXACT_OVER_WILDCARD: SECRET_EXACT,
      CONTEXT_OVER_ALL: 'context',
      SPECIAL,
      OTHER_REPO: undefined,
    },
  );
  assert.equal(env.GITPOD_WORKSPACE_ID, id);
  assert.equal(env.ATELIER_WORKSPACE_ID, id);
  assert.equal(env.GITPOD_INSTANCE_ID, ws.instance?.id);
  assert.equal(env.GITPOD_WORKSPACE_URL, `http://${id}.ws.localhost:${atelier.port}`);
  assert.equal(env.ATELIER_WORKSPACE_URL, env.GITPOD_WORKSPACE_URL);
  assert.equal(env.GITPOD_REPO_ROOT, '/workspace/envtest');
  assert.equal(env.GITPOD_WORKSPACE_CONTEXT_URL, `${git.url}/envtest.git`);
  assert.equal(env.GITPOD_MEMORY, '1024');
  assert.deepEqual(
    JSON.parse(env.GITPOD_TASKS ?? '[]').map((t: { name: string }) => t.name),
    ['with-env', 'plain'],
  );

  const plain = await taskEnv(container, 'plain-env');
  assert.equal(plain.FROM_CONFIG, 'config', "another task gets the workspace's value");
  assert.equal(plain.TASK_ONLY, undefined);
  assert.equal(plain.FOO, 'bar');

  const log = readFileSync(atelier.logFile, 'utf8');
  for (const value of [SECRET_ALL, SECRET_EXACT]) assert.ok(!log.includes(value), 'no value in the log');
  await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
});

test('a blocked variable in the prefix is a 400 that names it; no workspace is made', async () => {
  const before = await api<Ws[]>(atelier.url, token, 'GET', '/api/v1/workspaces');
  const reply = await request(`${atelier.url}/api/v1/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ contextUrl: `LD_PRELOAD=x/${git.url}/envtest.git` }),
  });
  assert.equal(reply.status, 400);
  const body = JSON.parse(reply.body) as { code: string; message: string };
  assert.equal(body.code, 'invalid_argument');
  assert.match(body.message, /^LD_PRELOAD cannot be set from the context URL/);
  const afterList = await api<Ws[]>(atelier.url, token, 'GET', '/api/v1/workspaces');
  assert.equal(afterList.length, before.length);
});
