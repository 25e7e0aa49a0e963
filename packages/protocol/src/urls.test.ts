import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isWorkspaceId, newWorkspaceId } from './ids.js';
import { parseBytes, parseDuration } from './units.js';
import { classifyHost, ownerCookieName, portUrl, workspaceUrl } from './urls.js';

describe('host names', () => {
  const urls = { scheme: 'http' as const, domain: 'localhost', port: 8080 };
  const rows: [string, ReturnType<typeof classifyHost>][] = [
    ['localhost:8080', { kind: 'dashboard' }],
    ['LOCALHOST', { kind: 'dashboard' }],
    [
      'amber-hello-abcdefghijk.ws.localhost:8080',
      { kind: 'workspace', workspaceId: 'amber-hello-abcdefghijk' },
    ],
    [
      '3000-amber-hello-abcdefghijk.ws.localhost',
      { kind: 'port', workspaceId: 'amber-hello-abcdefghijk', port: 3000 },
    ],
    ['99999-amber-hello-abcdefghijk.ws.localhost', { kind: 'unknown' }],
    ['evil.com', { kind: 'unknown' }],
    ['x.ws.localhost.evil.com', { kind: 'unknown' }],
    ['a.b.ws.localhost', { kind: 'unknown' }],
  ];
  for (const [host, expected] of rows)
    test(`classifies ${host}`, () => assert.deepEqual(classifyHost(host, 'localhost'), expected));

  test('URLs leave out default ports', () => {
    assert.equal(workspaceUrl(urls, 'a-b-c1234567'), 'http://a-b-c1234567.ws.localhost:8080');
    assert.equal(
      portUrl({ scheme: 'https', domain: 'example.com', port: 443 }, 'a-b-c1234567', 3000),
      'https://3000-a-b-c1234567.ws.example.com',
    );
  });
  test('owner cookie name follows Gitpod', () => {
    assert.equal(ownerCookieName('gitpod.example-x.com', 'abc'), '_gitpod_example_x_com_ws_abc_owner_');
  });
});

describe('ids and units', () => {
  test('workspace ids take owner and repo, else words', () => {
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i * 7);
    const id = newWorkspaceId('GitPod-IO', 'gitpod', bytes);
    assert.match(id, /^gitpodio-gitpod-[a-z0-9]{11}$/);
    assert.ok(isWorkspaceId(id));
    assert.match(newWorkspaceId(undefined, '.', bytes), /^[a-z]+-[a-z]+-[a-z0-9]{11}$/);
  });
  const durations: [string, number | undefined][] = [
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['5', undefined],
    ['1d', undefined],
    ['', undefined],
  ];
  for (const [text, ms] of durations)
    test(`duration ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), ms));
  const sizes: [string, number | undefined][] = [
    ['4Gi', 4 * 1024 ** 3],
    ['512Mi', 512 * 1024 ** 2],
    ['1G', 1e9],
    ['1000', 1000],
    ['4 GB', undefined],
    ['-1', undefined],
  ];
  for (const [text, n] of sizes)
    test(`size ${JSON.stringify(text)}`, () => assert.equal(parseBytes(text), n));
});
