// Creating a workspace reads the repository's configuration: an invalid file is a 400 that names
// the file, line, column and key; a valid one is kept with the workspace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type WorkspaceConfig, workspaceConfigSchema } from '@atelier/protocol';
import { makeRepo, serveRepos } from '../testing/git-repos.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describe('POST /api/v1/workspaces reads the configuration files', () => {
  const root = mkdtempSync(join(tmpdir(), 'atelier-config-route-'));
  let git: Awaited<ReturnType<typeof serveRepos>>;
  let server: TestServer;

  before(async () => {
    makeRepo(root, 'good', {
      files: {
        '.gitpod.yml':
          'tasks:\n  - init: make\n    command: make run\nports:\n  - port: 3000\n    visibility: public\n',
      },
    });
    makeRepo(root, 'bad', {
      files: {
        '.devcontainer/devcontainer.json':
          '{\n  // a comment is fine\n  "image": "debian",\n  "privileged": true\n}\n',
      },
    });
    git = await serveRepos(root);
    server = await startTestServer();
  });

  after(async () => {
    await server.close();
    await git.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a valid .gitpod.yml is kept with the workspace', async () => {
    const { client } = await server.userClient('ada');
    const reply = await client.call<{ id: string }>('POST', '/api/v1/workspaces', {
      contextUrl: `${git.url}/good.git`,
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const row = await server.repos.workspaces.get(reply.body.id as never);
    const config: WorkspaceConfig = workspaceConfigSchema.parse(JSON.parse(row?.config ?? 'null'));
    assert.equal(config.origin, 'gitpod');
    assert.deepEqual(
      config.tasks.map((t) => [t.init, t.command]),
      [['make', 'make run']],
    );
    assert.deepEqual(
      config.ports.map((p) => [p.port, p.visibility]),
      [[3000, 'public']],
    );
  });

  test('an invalid devcontainer.json is a 400 naming file, line, column and key; nothing is created', async () => {
    const { client, user } = await server.userClient('bob');
    const reply = await client.call<{ code: string; message: string }>('POST', '/api/v1/workspaces', {
      contextUrl: `${git.url}/bad.git`,
    });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.code, 'invalid_argument');
    assert.match(reply.body.message, /^\.devcontainer\/devcontainer\.json:4:3: privileged: /);
    assert.deepEqual(await server.repos.workspaces.listByOwner(user.id), []);
  });
});
