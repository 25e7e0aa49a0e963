// Configuration files as a user meets them, in Chromium and through the API: each kind of invalid
// .gitpod.yml or devcontainer.json stops the creation with its file, line and key on the page and
// in the 400's details; with both files the start page says that .gitpod.yml wins; a task's output
// is readable while the workspace runs and after it stopped.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request, waitForPhase } from './harness/http.js';

const USER = 'config-user';

/** One row per kind of invalid file: the repository's files and the one problem the user must see. */
const INVALID: { name: string; files: Record<string, string>; problem: string }[] = [
  {
    name: 'gitpod-unknown-key',
    files: { '.gitpod.yml': 'tasks:\n  - name: build\n    comand: make\n' },
    problem:
      ".gitpod.yml:3:5: tasks[0].comand: unknown key 'comand'; allowed: name, before, init, prebuild, command, env, openIn, openMode",
  },
  {
    name: 'gitpod-wrong-type',
    files: { '.gitpod.yml': 'tasks:\n  - name: build\n    init: [make, test]\n' },
    problem: '.gitpod.yml:3:11: tasks[0].init: Invalid input: expected string, received array',
  },
  {
    // no key to name: the place of the syntax error is what there is to fix
    name: 'gitpod-not-yaml',
    files: { '.gitpod.yml': 'tasks:\n\t- name: build\n' },
    problem: '.gitpod.yml:2:1: Tabs are not allowed as indentation',
  },
  {
    name: 'devcontainer-privileged',
    files: {
      '.devcontainer/devcontainer.json': '{\n  "image": "debian:bookworm",\n  "privileged": true\n}\n',
    },
    problem:
      '.devcontainer/devcontainer.json:3:3: privileged: privileged containers can take over the host; Atelier never runs a workspace privileged',
  },
  {
    name: 'devcontainer-bad-json',
    files: {
      '.devcontainer/devcontainer.json': '{\n  "image": "debian:bookworm",\n  "forwardPorts": [3000,,]\n}\n',
    },
    problem: '.devcontainer/devcontainer.json:3:25: syntax error: value expected',
  },
];

const MARKER_TASK = 'tasks:\n  - name: greet\n    command: echo "marker-$((6*7))"\n';

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null } | null;
}
interface Tasks {
  instanceId: string | null;
  live: boolean;
  tasks: { index: number; name: string; state: string; exitCode: number | null }[];
}

let git: GitServer;
let atelier: AtelierProcess;
let browser: Browser;
let page: Page;
let token: string;

before(async () => {
  git = await startGitServer();
  for (const row of INVALID) createRepo(git.root, row.name, row.files);
  createRepo(git.root, 'both-files', {
    '.gitpod.yml': MARKER_TASK,
    '.devcontainer/devcontainer.json': '{ "image": "debian:bookworm" }\n',
  });
  createRepo(git.root, 'task-output', { '.gitpod.yml': MARKER_TASK });
  atelier = await AtelierProcess.start({ name: 'config-errors' });
  token = await atelier.createUser(USER);
  browser = await launchBrowser();
  page = await signedInPage(browser, atelier.url, USER);
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
  await git?.close();
});

const waitFor = (id: string, phase: string) =>
  waitForPhase<Ws>(atelier.url, token, id, phase, { timeoutMs: 180_000 });

/** Polls until `check` holds for the answer (tasks start a moment after the phase says running). */
async function until<T>(what: string, get: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 150; i++) {
    last = await get();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}; last answer: ${JSON.stringify(last)}`);
}

describe('an invalid configuration file stops the creation, naming file, line and key', () => {
  for (const row of INVALID) {
    test(row.name, { timeout: 60_000 }, async () => {
      const contextUrl = `${git.url}/${row.name}.git`;
      // the API: a 400 whose details list the problem
      const reply = await request(`${atelier.url}/api/v1/workspaces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ contextUrl }),
      });
      assert.equal(reply.status, 400, reply.body);
      const body = JSON.parse(reply.body) as { code: string; message: string; details?: string[] };
      assert.equal(body.code, 'invalid_argument');
      assert.deepEqual(body.details, [row.problem]);

      // the dashboard: the new-workspace form shows the same line, and no workspace was made
      await page.goto(atelier.url);
      await page.getByTestId('context-url').fill(contextUrl);
      await page.getByTestId('create-workspace').click();
      const error = page.getByTestId('create-error');
      await error.waitFor({ timeout: 30_000 });
      const shown = (await error.textContent())?.trim();
      assert.equal(shown, row.problem, 'the page shows the problem line once, as the API gives it');
      assert.match(page.url(), /\/$/, 'the page stays on the form');
      await screenshot(page, `config-errors-${row.name}`);
      const list = await api<Ws[]>(atelier.url, token, 'GET', '/api/v1/workspaces');
      assert.deepEqual(list, []);
    });
  }
});

test('with both files, the start page says that .gitpod.yml wins and shows the task output', {
  timeout: 300_000,
}, async () => {
  await page.goto(atelier.url);
  await page.getByTestId('context-url').fill(`${git.url}/both-files.git`);
  await page.getByTestId('create-workspace').click();
  await page.waitForURL(/\/start\//);
  const id = new URL(page.url()).pathname.split('/').pop() as string;
  const warning = '.gitpod.yml configures this workspace; .devcontainer/devcontainer.json is not used';
  const warnings = page.getByTestId('config-warnings');
  await warnings.waitFor({ timeout: 10_000 });
  assert.equal((await warnings.textContent())?.trim(), warning);
  assert.equal((await page.getByTestId('config-file').textContent())?.trim(), '.gitpod.yml');
  await screenshot(page, 'config-errors-both-files-start');

  // the start page opens the workspace once it runs; opened again, it stays and shows the tasks
  await waitFor(id, 'running');
  await page.waitForURL(new RegExp(`^http://${id}\\.ws\\.localhost`), { timeout: 30_000 });
  await page.goto(`${atelier.url}/start/${id}`);
  await page.getByTestId('config-warnings').waitFor();
  const text = await until(
    'the start page never showed the marker',
    async () => (await page.getByTestId('task-output').textContent()) ?? '',
    (t) => t.includes('marker-42'),
  );
  assert.ok(!text.includes('\x1b'), `escape sequences are stripped for display: ${JSON.stringify(text)}`);
  assert.match((await page.getByTestId('task').textContent()) ?? '', /greet\s+running/);
  await screenshot(page, 'config-errors-both-files-tasks');
  await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
});

test("a task's output through the API: live while running, kept after the stop", {
  timeout: 300_000,
}, async () => {
  const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `${git.url}/task-output.git`,
  });
  const ws = await waitFor(id, 'running');
  const tasks = await until(
    'the task did not run',
    () => api<Tasks>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}/tasks`),
    (t) => t.tasks[0]?.state === 'running',
  );
  assert.deepEqual(tasks, {
    instanceId: ws.instance?.id,
    live: true,
    tasks: [{ index: 0, name: 'greet', state: 'running', exitCode: null }],
  });
  const outputUrl = `${atelier.url}/api/v1/workspaces/${id}/tasks/0/output`;
  const auth = { authorization: `Bearer ${token}` };
  const live = await until(
    'the marker never showed in the output',
    () => request(outputUrl, { headers: auth }),
    (r) => r.body.includes('marker-42'),
  );
  assert.equal(live.status, 200);
  assert.match(String(live.headers['content-type']), /^text\/plain/);

  await api(atelier.url, token, 'POST', `/api/v1/workspaces/${id}/stop`);
  await waitFor(id, 'stopped');
  assert.deepEqual(await api<Tasks>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}/tasks`), {
    instanceId: ws.instance?.id,
    live: false,
    tasks: [{ index: 0, name: 'greet', state: 'exited', exitCode: null }],
  });
  const kept = await request(outputUrl, { headers: auth });
  assert.equal(kept.status, 200);
  assert.match(kept.body, /marker-42/);
  // the dashboard shows what was kept
  await page.goto(`${atelier.url}/start/${id}`);
  await until(
    'the start page never showed the kept output',
    async () => (await page.getByTestId('task-output').textContent()) ?? '',
    (t) => t.includes('marker-42'),
  );
  assert.match((await page.getByTestId('task').textContent()) ?? '', /greet\s+ended/);
  await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
});
