// The return path after a sign-in stays on this site, whatever a link puts in returnTo.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeReturnTo } from './sign-in.js';

test('returnTo: paths of this site pass; other sites, schemes and tricks become "/"', () => {
  const cases: [string | undefined, string][] = [
    [undefined, '/'],
    ['', '/'],
    ['/', '/'],
    ['/start/abc?x=1#y', '/start/abc?x=1#y'],
    ['/#https://github.com/a/b', '/#https://github.com/a/b'],
    ['https://evil.example/', '/'],
    ['//evil.example/path', '/'],
    ['/\\evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/ok\r\nSet-Cookie: x=1', '/'],
    ['evil.example', '/'],
  ];
  for (const [input, expected] of cases) assert.equal(safeReturnTo(input), expected, String(input));
});
