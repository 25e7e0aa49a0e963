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

test('git’s host: the provider’s own, or a loopback provider through the runtime’s host address', async () => {
  const { providerForHost } = await import('./git-credentials.js');
  const p = (host: string) => ({
    id: host,
    host,
    type: 'GitHub' as const,
    clientId: 'c',
    clientSecret: 's',
    webOrigin: `http://${host}`,
    callbackUrl: 'http://localhost/auth/callback',
  });
  const providers = [p('github.example.com'), p('127.0.0.1:9000')];
  assert.equal(providerForHost(providers, 'GitHub.example.com', '10.0.2.2')?.id, 'github.example.com');
  assert.equal(providerForHost(providers, '10.0.2.2:9000', '10.0.2.2')?.id, '127.0.0.1:9000');
  assert.equal(providerForHost(providers, '10.0.2.2:9001', '10.0.2.2'), undefined);
  assert.equal(providerForHost(providers, '10.0.2.2:9000', undefined), undefined);
  assert.equal(providerForHost(providers, 'gitlab.example.com', '10.0.2.2'), undefined);
});
