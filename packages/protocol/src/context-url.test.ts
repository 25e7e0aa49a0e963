import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkoutFolder, parseContextUrl } from './context-url.js';

describe('parseContextUrl', () => {
  const ok: [
    string,
    { cloneUrl: string; kind: 'http' | 'file'; owner: string | undefined; repo: string | undefined },
  ][] = [
    [
      'https://github.com/gitpod-io/gitpod',
      { cloneUrl: 'https://github.com/gitpod-io/gitpod', kind: 'http', owner: 'gitpod-io', repo: 'gitpod' },
    ],
    [
      'https://git.example.com/a/b/c.git',
      { cloneUrl: 'https://git.example.com/a/b/c.git', kind: 'http', owner: 'b', repo: 'c' },
    ],
    [
      '  http://127.0.0.1:9000/hello.git  ',
      { cloneUrl: 'http://127.0.0.1:9000/hello.git', kind: 'http', owner: '127.0.0.1', repo: 'hello' },
    ],
    [
      'http://localhost:8080/repo.git/',
      { cloneUrl: 'http://localhost:8080/repo.git', kind: 'http', owner: 'localhost', repo: 'repo' },
    ],
    [
      'file:///srv/git/my%20repo',
      { cloneUrl: 'file:///srv/git/my%20repo', kind: 'file', owner: 'git', repo: 'my repo' },
    ],
    ['https://host/a/../b', { cloneUrl: 'https://host/b', kind: 'http', owner: 'host', repo: 'b' }],
    ['file:///repo', { cloneUrl: 'file:///repo', kind: 'file', owner: '', repo: 'repo' }],
  ];
  for (const [input, expected] of ok) {
    test(`accepts ${input.trim()}`, () => {
      const ctx = parseContextUrl(input);
      assert.deepEqual(
        { cloneUrl: ctx.cloneUrl, kind: ctx.kind, owner: ctx.owner, repo: ctx.repo },
        expected,
      );
    });
  }
  const bad: [string, RegExp][] = [
    ['github.com/foo/bar', /is not a URL/],
    ['ssh://git@github.com/foo/bar', /unsupported scheme "ssh:"/],
    ['ftp://host/repo', /unsupported scheme/],
    ['https://user:pass@host/repo.git', /remove the user name and password/],
    ['https://host/repo.git?x=1', /no query/],
    ['https://host/repo.git#main', /no query .* or fragment/],
    ['https://host/', /names a host but no repository path/],
    ['file://remote-host/repo', /file URLs name a local path/],
    ['file:///', /names no repository path/],
    ['javascript:alert(1)', /unsupported scheme/],
  ];
  for (const [input, message] of bad) {
    test(`refuses ${input}`, () => {
      assert.throws(
        () => parseContextUrl(input),
        (e: Error & { code?: string }) => e.code === 'invalid_argument' && message.test(e.message),
      );
    });
  }
  test('checkout folder is a safe single path segment', () => {
    assert.equal(checkoutFolder({ repo: 'hello' }), 'hello');
    assert.equal(checkoutFolder({ repo: 'my repo' }), 'my-repo');
    assert.equal(checkoutFolder({ repo: '..' }), 'repo');
    assert.equal(checkoutFolder({ repo: undefined }), 'repo');
  });
});
