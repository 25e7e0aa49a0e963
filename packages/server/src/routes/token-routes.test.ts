import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, TestClient, type TestServer } from '../testing/test-server.js';

describe('personal access tokens', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('a token created over the API works as a bearer token until it is deleted', async () => {
    const { client } = await t.userClient('alice');
    const created = await client.call<{ id: string; token: string }>('POST', '/api/v1/tokens', {
      name: 'laptop',
      expiresInDays: 30,
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    assert.match(created.body.token, /^atl_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(Object.keys(created.body).sort(), ['id', 'token']);

    const laptop = new TestClient(t.server.app, 'http://localhost:8080', created.body.token);
    const me = await laptop.call<{ name: string }>('GET', '/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.name, 'alice');

    const list = await laptop.call<
      { id: string; name: string; expiresAt: string | null; lastUsedAt: string | null }[]
    >('GET', '/api/v1/tokens');
    const entry = list.body.find((e) => e.id === created.body.id);
    assert.deepEqual(Object.keys(entry ?? {}).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name']);
    assert.equal(entry?.name, 'laptop');
    assert.ok(entry?.expiresAt && Date.parse(entry.expiresAt) > Date.now() + 29 * 24 * 3600 * 1000);
    assert.ok(entry?.lastUsedAt, 'the use was recorded');
    assert.ok(!list.text.includes('atl_'), 'the token itself is never listed');

    assert.equal((await client.call('DELETE', `/api/v1/tokens/${created.body.id}`)).status, 204);
    const after = await laptop.call<{ code: string }>('GET', '/api/v1/me');
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'unauthenticated');
  });

  test("another user's token cannot be deleted: 404, and it keeps working", async () => {
    const alice = await t.userClient('alice2');
    const bob = await t.userClient('bob');
    const [aliceToken] = await t.repos.tokens.listForUser(alice.user.id);
    const res = await bob.client.call('DELETE', `/api/v1/tokens/${aliceToken?.id}`);
    assert.equal(res.status, 404);
    assert.equal((await alice.client.call('GET', '/api/v1/me')).status, 200);
  });

  test('an unknown bearer token is a 401, and no credential at all is a 401', async () => {
    const forged = new TestClient(t.server.app, 'http://localhost:8080', 'atl_forged');
    assert.equal((await forged.call('GET', '/api/v1/tokens')).status, 401);
    const anonymous = await t.browser().call<{ message: string }>('GET', '/api/v1/tokens');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.body.message, /sign in first/);
  });

  test('an invalid request lists its problems', async () => {
    const { client } = await t.userClient('carol');
    const res = await client.call('POST', '/api/v1/tokens', { name: '', expiresInDays: 0, extra: 1 });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      code: 'invalid_argument',
      message: 'the request has 3 problem(s)',
      details: [
        'name: Too small: expected string to have >=1 characters',
        'expiresInDays: Too small: expected number to be >=1',
        '(root): Unrecognized key: "extra"',
      ],
    });
    const notJson = await client.call<{ message: string }>('POST', '/api/v1/tokens', '{name:');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.message, /^the request body is not valid JSON/);
  });
});
