// Ports on Podman: .gitpod.yml declares 8000 public and 8001 private, a task serves both; the API
// lists them with URL, visibility and state, the proxy lets anyone reach the public one only, and
// a visibility change through the API applies to the very next request; deletion takes the
// overrides along.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { AtelierProcess } from './harness/atelier.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request } from './harness/http.js';

interface Port {
  port: number;
  url: string;
  visibility: 'private' | 'public';
  served: boolean;
  state: 'served' | 'not-served';
  name: string | null;
}

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null } | null;
  ports: Port[];
}

let git: GitServer;
let atelier: AtelierProcess;
let token: string;

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'ports', {
    '.gitpod.yml': [
      'ports:',
      '  - port: 8000',
      '    name: site',
      '    visibility: public',
      '  - port: 8001',
      'tasks:',
      '  - name: servers',
      '    command: python3 -m http.server 8000 & python3 -m http.server 8001',
    ].join('\n'),
    'index.html': 'hello from the ports repo\n',
  });
  atelier = await AtelierProcess.start({ name: 'ports' });
  token = await atelier.createUser('ports-user');
});

after(async () => {
  await atelier?.dispose();
  await git?.close();
});

const getWs = (id: string) => api<Ws>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}`);

/** The workspace once it runs and both servers of the task listen. */
async function waitForServed(id: string): Promise<Ws> {
  let last: Ws | undefined;
  for (let i = 0; i < 600; i++) {
    last = await getWs(id);
    if (last.instance?.failed) throw new Error(last.instance.failed);
    const served = last.ports.filter((p) => p.state === 'served').map((p) => p.port);
    if (served.includes(8000) && served.includes(8001)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`ports 8000 and 8001 were not served; last: ${JSON.stringify(last)}`);
}

const statusOf = async (url: string, headers: Record<string, string> = {}) =>
  (await request(`${url}/`, { headers })).status;

test('public ports answer without a credential, private ones do not; the owner flips them at run time', {
  timeout: 300_000,
}, async () => {
  const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `${git.url}/ports.git`,
  });
  const ws = await waitForServed(id);
  const portUrl = (port: number) => `http://${port}-${id}.ws.localhost:${atelier.port}`;
  assert.deepEqual(
    ws.ports.map((p) => [p.port, p.url, p.visibility, p.state, p.served, p.name]),
    [
      [8000, portUrl(8000), 'public', 'served', true, 'site'],
      [8001, portUrl(8001), 'private', 'served', true, null],
    ],
  );

  const page = await request(`${portUrl(8000)}/index.html`);
  assert.equal(page.status, 200);
  assert.match(page.body, /hello from the ports repo/);
  assert.equal(await statusOf(portUrl(8001)), 401, 'a private port without cookie');
  const { ownerToken } = await api<{ ownerToken: string }>(
    atelier.url,
    token,
    'GET',
    `/api/v1/workspaces/${id}/owner-token`,
  );
  assert.equal(
    await statusOf(portUrl(8001), { 'x-atelier-owner-token': ownerToken }),
    200,
    'the owner gets in',
  );

  const set = (port: number, visibility: string) =>
    api<Port>(atelier.url, token, 'PUT', `/api/v1/workspaces/${id}/ports/${port}`, { visibility });
  assert.equal((await set(8000, 'private')).visibility, 'private');
  assert.equal((await set(8001, 'public')).visibility, 'public');
  // no waiting: the proxy looks the visibility up on every request
  assert.equal(await statusOf(portUrl(8000)), 401, 'made private');
  assert.equal(await statusOf(portUrl(8001)), 200, 'made public');
  assert.equal(await statusOf(portUrl(8000), { 'x-atelier-owner-token': ownerToken }), 200);
  assert.deepEqual(
    (await getWs(id)).ports.map((p) => [p.port, p.visibility]),
    [
      [8000, 'private'],
      [8001, 'public'],
    ],
  );
  await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
  assert.equal(portRows(id), 0, 'the visibility overrides go with the workspace');
});

function portRows(workspaceId: string): number {
  const db = new Database(join(atelier.dataDir, 'atelier.db'), { readonly: true });
  try {
    const row = db
      .prepare('select count(*) as n from workspace_ports where workspace_id = ?')
      .get(workspaceId) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}
