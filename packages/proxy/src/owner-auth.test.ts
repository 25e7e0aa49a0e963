// The owner token's pieces on their own: comparison, the cookie's attributes, return URLs, credential names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PublicUrls } from '@atelier/protocol';
import { isAtelierCookie } from './headers.js';
import { ownerCookie, safeReturnUrl, tokensEqual } from './owner-auth.js';
import { target } from './testing/fake-workspace.js';

const ID = 'amber-panda-abcdefgh1';

test('tokens compare equal only when identical', () => {
  assert.equal(tokensEqual('abc', 'abc'), true);
  assert.equal(tokensEqual('abc', 'abd'), false);
  assert.equal(tokensEqual('abc', 'abcd'), false);
  assert.equal(tokensEqual('', 'abc'), false);
});

test('the owner cookie is Secure on https only', () => {
  const t = target();
  const name = `_example_com_ws_${t.instanceId}_owner_`;
  const rows: [PublicUrls, string][] = [
    [
      { scheme: 'https', domain: 'example.com', port: 443 },
      `${name}=${t.ownerToken}; Domain=ws.example.com; Path=/; HttpOnly; SameSite=Lax; Secure`,
    ],
    [
      { scheme: 'http', domain: 'example.com', port: 8080 },
      `${name}=${t.ownerToken}; Domain=ws.example.com; Path=/; HttpOnly; SameSite=Lax`,
    ],
  ];
  for (const [urls, expected] of rows) assert.equal(ownerCookie(urls, t), expected);
});

test('return URLs: this workspace only, same scheme and port', () => {
  const urls: PublicUrls = { scheme: 'https', domain: 'example.com', port: 443 };
  const home = `https://${ID}.ws.example.com/`;
  const rows: [string | null, string][] = [
    [null, home],
    ['', home],
    ['/a/b?c=d#e', `https://${ID}.ws.example.com/a/b?c=d#e`],
    [`https://${ID}.ws.example.com/x`, `https://${ID}.ws.example.com/x`],
    [`https://3000-${ID}.ws.example.com/`, `https://3000-${ID}.ws.example.com/`],
    [`http://3000-${ID}.ws.example.com/`, home],
    [`https://3000-${ID}.ws.example.com:8443/`, home],
    [`https://user:pw@${ID}.ws.example.com/`, home],
    ['https://3000-coral-otter-zzzzzzzz9.ws.example.com/', home],
    ['https://example.com/', home],
    [`https://${ID}.ws.example.com.evil.io/`, home],
    ['//evil.io', home],
    ['javascript:alert(1)', home],
    ['http://[::1', home],
  ];
  for (const [raw, expected] of rows) assert.equal(safeReturnUrl(raw, urls, ID), expected, String(raw));
});

test("Atelier's cookie names", () => {
  const is = isAtelierCookie('my-host.example.com');
  const rows: [string, boolean][] = [
    ['_my_host_example_com_ws_abc_owner_', true],
    ['__Host-_my_host_example_com_ws_abc_owner_', true],
    ['atelier_session', true],
    ['__Host-atelier_session', true],
    ['_other_com_ws_abc_owner_', false],
    ['session', false],
    ['my_host_example_com_ws_abc_owner_', false],
  ];
  for (const [name, expected] of rows) assert.equal(is(name), expected, name);
});
