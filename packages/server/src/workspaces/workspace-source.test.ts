// Workspace creation from contexts with prefixes and shapes that need no clone to judge: the
// referrer's IDE kept for the workspace, imagebuild/ kept for its first start, and clear refusals
// (an IDE Atelier does not offer, a snapshot, an ssh URL, a ref beside a pull request).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import { parseStoredContext, type WorkspaceId } from '@atelier/protocol';
import { startTestServer, type TestClient, type TestServer } from '../testing/test-server.js';

describe('workspace creation: prefixes and refusals', () => {
  let scm: FakeScm;
  let t: TestServer;
  let client: TestClient;
  before(async () => {
    scm = await startFakeGitHub({
      users: [{ login: 'ada', id: 7, name: 'Ada', email: 'ada@example.com' }],
      apps: [],
      repos: [
        {
          owner: 'team',
          name: 'app',
          private: false,
          branches: { main: { 'README.md': 'hi\n' }, fix: { 'fix.txt': 'fix\n' } },
          pulls: [{ number: 2, title: 'Fix', head: 'fix', base: 'main', author: 'ada' }],
        },
      ],
    });
    t = await startTestServer({
      config: {
        authProviders: [
          {
            id: 'gh',
            host: scm.host,
            type: 'GitHub',
            scheme: 'http',
            oauth: { clientId: 'c', clientSecret: 's' },
          },
        ],
      },
    });
    ({ client } = await t.userClient('ada'));
  });
  after(async () => {
    await t?.close();
    await scm?.close();
  });

  const create = (contextUrl: string, ref?: string) =>
    client.call<{ id: WorkspaceId; message: string }>('POST', '/api/v1/workspaces', {
      contextUrl,
      ...(ref ? { ref } : {}),
    });

  test("referrer:<name>:<ide>/ chooses the workspace's IDE; imagebuild/ is kept for its first start", async () => {
    const created = await create(`referrer:gateway:intellij/imagebuild/${scm.url}/team/app`);
    assert.equal(created.status, 201, created.text);
    const dto = await client.call<{ ide?: string; contextUrl: string }>(
      'GET',
      `/api/v1/workspaces/${created.body.id}`,
    );
    assert.equal(dto.body.ide, 'jetbrains');
    assert.equal(dto.body.contextUrl, `${scm.url}/team/app`, 'stored without its prefixes');
    const stored = parseStoredContext((await t.repos.workspaces.get(created.body.id))?.context ?? null);
    assert.deepEqual(stored, { kind: 'repository', forceImageBuild: true, ide: 'jetbrains' });
    const plain = await create(`${scm.url}/team/app`);
    const plainDto = await client.call<{ ide?: string }>('GET', `/api/v1/workspaces/${plain.body.id}`);
    assert.equal(plainDto.body.ide, undefined, "no link IDE: the owner's preference decides");
  });

  test('refusals name the problem and the way out; no workspace is made', async () => {
    const before = (
      await t.repos.workspaces.listByOwner((await t.repos.users.findByName('ada'))?.id as never)
    ).length;
    const cases: [string, string | undefined, number, RegExp][] = [
      [
        `referrer:x:notepad/${scm.url}/team/app`,
        undefined,
        400,
        /IDE "notepad".*use code, code-desktop, terminal/,
      ],
      [
        'snapshot/0b3a5c1e-4f2d-4c8a-9e7b-1d2f3a4b5c6d',
        undefined,
        412,
        /snapshot contexts are not available/,
      ],
      ['git@example.com:team/app.git', undefined, 400, /ssh URL; workspaces clone over https/],
      [`${scm.url}/team/app/pull/2`, 'main', 400, /names its own revision: leave out ref/],
      [`${scm.url}/team/app/tree/fix`, 'main', 400, /names a branch already: leave out ref/],
      [`${scm.url}/team/app/pull/99`, undefined, 404, /pull request #99 does not exist in team\/app on gh/],
    ];
    for (const [contextUrl, ref, status, message] of cases) {
      const reply = await create(contextUrl, ref);
      assert.equal(reply.status, status, `${contextUrl}: ${reply.text}`);
      assert.match(reply.body.message, message, contextUrl);
    }
    const after = (await t.repos.workspaces.listByOwner((await t.repos.users.findByName('ada'))?.id as never))
      .length;
    assert.equal(after, before);
  });
});
