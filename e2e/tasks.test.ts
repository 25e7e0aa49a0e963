// A repository's .gitpod.yml on Podman: its tasks run in the workspace; init runs on the first
// start and not after a restart from the backup, before and command run on both; gitConfig and
// additionalRepositories are honoured by the clone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AtelierProcess } from './harness/atelier.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, waitForPhase } from './harness/http.js';
import { podmanExec } from './harness/tree.js';

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null } | null;
}

let git: GitServer;
let atelier: AtelierProcess;
let token: string;

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'tasks', {
    '.gitpod.yml': [
      'env: { GREETING: hello }',
      'tasks:',
      '  - name: counter',
      '    before: echo before >> before.log',
      '    init: echo init >> init.log',
      '    command: echo "command $GREETING $TASK_ONLY" >> command.log',
      '    env: { TASK_ONLY: yes }',
      'gitConfig: { atelier.origin: gitpod-yml }',
      'additionalRepositories:',
      `  - url: ${git.url}/library.git`,
      '    checkoutLocation: deps/library',
    ].join('\n'),
  });
  createRepo(git.root, 'library', { 'LIBRARY.md': 'the library\n' });
  atelier = await AtelierProcess.start({ name: 'tasks' });
  token = await atelier.createUser('tasks-user');
});

after(async () => {
  await atelier?.dispose();
  await git?.close();
});

const waitFor = (id: string, phase: string) =>
  waitForPhase<Ws>(atelier.url, token, id, phase, { timeoutMs: 120_000 });

/** The logs the task wrote, once its command has run `runs` times. */
async function logs(container: string, runs: number): Promise<Record<string, string[]>> {
  for (let i = 0; i < 100; i++) {
    const out = await podmanExec(
      container,
      'gitpod',
      'cd /workspace/tasks && for f in before init command; do echo "== $f"; cat $f.log 2>/dev/null; done',
    );
    const parsed: Record<string, string[]> = {};
    let current = '';
    for (const line of out.split('\n').filter(Boolean)) {
      const m = /^== (\w+)$/.exec(line);
      if (m?.[1]) {
        current = m[1];
        parsed[current] = [];
      } else parsed[current]?.push(line);
    }
    if ((parsed.command?.length ?? 0) >= runs) return parsed;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the task's command did not run ${runs} time(s)`);
}

test('tasks: init on the first start only; before and command on every start', {
  timeout: 300_000,
}, async () => {
  const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `${git.url}/tasks.git`,
  });
  let ws = await waitFor(id, 'running');
  assert.deepEqual(await logs(`atelier-ws-${ws.instance?.id}`, 1), {
    before: ['before'],
    init: ['init'],
    command: ['command hello yes'],
  });
  // gitConfig went into the clone; the additional repository is checked out next to it
  assert.equal(
    await podmanExec(
      `atelier-ws-${ws.instance?.id}`,
      'gitpod',
      'git -C /workspace/tasks config atelier.origin && cat /workspace/deps/library/LIBRARY.md',
    ),
    'gitpod-yml\nthe library\n',
  );
  await api(atelier.url, token, 'POST', `/api/v1/workspaces/${id}/stop`);
  await waitFor(id, 'stopped');
  await api(atelier.url, token, 'POST', `/api/v1/workspaces/${id}/start`);
  ws = await waitFor(id, 'running');
  assert.deepEqual(await logs(`atelier-ws-${ws.instance?.id}`, 2), {
    before: ['before', 'before'],
    init: ['init'],
    command: ['command hello yes', 'command hello yes'],
  });
  await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
});
