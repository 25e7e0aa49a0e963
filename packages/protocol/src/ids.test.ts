import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { isWorkspaceId, newWorkspaceId } from './ids.js';
import { classifyHost } from './urls.js';

test('workspace ids: cleaned owner and repository, a letter first, and never mistaken for a port host', () => {
  const rows: [owner: string | undefined, repo: string | undefined, expected: RegExp][] = [
    ['gitpod-io', 'gitpod', /^gitpodio-gitpod-[a-z0-9]{11}$/],
    ['127', 'hello', /^[a-z]+-hello-[a-z0-9]{11}$/],
    ['3000abc', 'x.y', /^abc-[a-z]+-[a-z0-9]{11}$/],
    [undefined, undefined, /^[a-z]+-[a-z]+-[a-z0-9]{11}$/],
    ['A-Very-Long-Organisation-Name', 'Repo_Name', /^averylongorganis-reponame-[a-z0-9]{11}$/],
  ];
  for (const [owner, repo, expected] of rows) {
    const id = newWorkspaceId(owner, repo, randomBytes);
    assert.match(id, expected, `${owner}/${repo}`);
    assert.ok(isWorkspaceId(id), id);
    assert.deepEqual(classifyHost(`${id}.ws.localhost:8080`, 'localhost'), {
      kind: 'workspace',
      workspaceId: id,
    });
    assert.deepEqual(classifyHost(`3000-${id}.ws.localhost`, 'localhost'), {
      kind: 'port',
      workspaceId: id,
      port: 3000,
    });
  }
  assert.equal(isWorkspaceId('127-hello-abcdefghijk'), false, 'a digit first reads as a port host');
});
