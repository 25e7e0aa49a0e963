import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InstanceId, WorkspaceId } from '@atelier/protocol';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describe('image build log', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  async function startedWorkspace(ownerId: string, id: string): Promise<InstanceId> {
    await t.repos.workspaces.create({
      id: id as WorkspaceId,
      ownerId: ownerId as never,
      contextUrl: 'https://example.com/o/r',
      cloneUrl: 'https://example.com/o/r.git',
      ref: null,
      description: 'o/r',
    });
    return (await t.manager.start(id as WorkspaceId)).instanceId;
  }

  test('text while building; followed live as events until the build is over; others get 404', async () => {
    const alice = await t.userClient('build-alice');
    const bob = await t.userClient('build-bob');
    const instanceId = await startedWorkspace(alice.user.id, 'ob-re-buildlog1');
    await t.repos.instances.transitionIf(instanceId, ['preparing'], 'building');
    await t.repos.logs.append(instanceId, 'image-build', 'STEP 1/2: FROM base\n');

    const text = await alice.client.call('GET', '/api/v1/workspaces/ob-re-buildlog1/build-log');
    assert.equal(text.status, 200);
    assert.equal(text.text, 'STEP 1/2: FROM base\n');
    assert.equal((await bob.client.call('GET', '/api/v1/workspaces/ob-re-buildlog1/build-log')).status, 404);

    const following = alice.client.call('GET', '/api/v1/workspaces/ob-re-buildlog1/build-log?follow=true');
    setTimeout(async () => {
      await t.repos.logs.append(instanceId, 'image-build', 'STEP 2/2: RUN make\n');
      await t.repos.instances.transitionIf(instanceId, ['building'], 'pending');
    }, 400);
    const events = await following;
    assert.equal(events.status, 200);
    assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
    const parsed = [...events.text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => [
      m[1],
      JSON.parse(m[2] ?? ''),
    ]);
    assert.deepEqual(parsed, [
      ['log', { text: 'STEP 1/2: FROM base\n' }],
      ['log', { text: 'STEP 2/2: RUN make\n' }],
      ['end', { phase: 'pending', failed: null }],
    ]);
  });

  test('a workspace never started: 404 that says so', async () => {
    const carol = await t.userClient('build-carol');
    await t.repos.workspaces.create({
      id: 'ob-re-buildlog2' as WorkspaceId,
      ownerId: carol.user.id,
      contextUrl: 'https://example.com/o/r',
      cloneUrl: 'https://example.com/o/r.git',
      ref: null,
      description: 'o/r',
    });
    const res = await carol.client.call<{ message: string }>(
      'GET',
      '/api/v1/workspaces/ob-re-buildlog2/build-log',
    );
    assert.equal(res.status, 404);
    assert.match(res.body.message, /has not been started/);
  });
});
