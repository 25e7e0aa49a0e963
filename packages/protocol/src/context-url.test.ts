import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkoutFolder, contextFromHash, parseContextUrl } from './context-url.js';

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
  test('a URL without a prefix has no environment', () => {
    assert.deepEqual(parseContextUrl('https://host/a/b').env, {});
  });
  test('checkout folder is a safe single path segment', () => {
    assert.equal(checkoutFolder({ repo: 'hello' }), 'hello');
    assert.equal(checkoutFolder({ repo: 'my repo' }), 'my-repo');
    assert.equal(checkoutFolder({ repo: '..' }), 'repo');
    assert.equal(checkoutFolder({ repo: undefined }), 'repo');
  });
});

describe('parseContextUrl: the VAR=value,.../ prefix', () => {
  const repo = 'https://git.example.com/team/app.git';
  const ok: [string, Record<string, string>][] = [
    [`FOO=bar/${repo}`, { FOO: 'bar' }],
    [`FOO=bar,_B2=x-y.z/${repo}`, { FOO: 'bar', _B2: 'x-y.z' }],
    [`Q=a%3Db%3Fc/${repo}`, { Q: 'a=b?c' }],
    [`Q=a=b/${repo}`, { Q: 'a=b' }],
    [`EMPTY=/${repo}`, { EMPTY: '' }],
    [`  FOO=bar/${repo}  `, { FOO: 'bar' }],
    [`MY_PATHS=x/${repo}`, { MY_PATHS: 'x' }],
    [`JAVA=x/${repo}`, { JAVA: 'x' }],
  ];
  for (const [input, env] of ok) {
    test(`accepts ${input.trim()}`, () => {
      const ctx = parseContextUrl(input);
      assert.deepEqual(ctx.env, env);
      assert.equal(ctx.cloneUrl, repo);
      assert.equal(ctx.contextUrl, repo, 'the normalized URL has no prefix');
      assert.equal(ctx.owner, 'team');
    });
  }
  test('a variable named __proto__ is a plain entry, not a prototype', () => {
    const { env } = parseContextUrl(`__proto__=x/${repo}`);
    assert.deepEqual(Object.keys(env), ['__proto__']);
    assert.equal(Object.getPrototypeOf(env), Object.prototype);
  });

  const bad: [string, RegExp][] = [
    [
      `LD_PRELOAD=x/${repo}`,
      /^LD_PRELOAD cannot be set from the context URL: variables named LD_\* are blocked/,
    ],
    [
      `BASH_ENV=x/${repo}`,
      /^BASH_ENV cannot be set from the context URL: it makes shells or programs run code/,
    ],
    [`PATH=x/${repo}`, /^PATH cannot be set/],
    [`PROMPT_COMMAND=reboot/${repo}`, /^PROMPT_COMMAND cannot be set/],
    [`PS1=x/${repo}`, /^PS1 cannot be set/],
    [`IFS=x/${repo}`, /^IFS cannot be set/],
    [`NODE_OPTIONS=x/${repo}`, /^NODE_OPTIONS cannot be set/],
    [`PYTHONSTARTUP=x/${repo}`, /^PYTHONSTARTUP cannot be set.*PYTHON\*/],
    [`PERL5OPT=x/${repo}`, /^PERL5OPT cannot be set.*PERL\*/],
    [`JAVA_TOOL_OPTIONS=x/${repo}`, /^JAVA_TOOL_OPTIONS cannot be set/],
    [`GIT_SSH_COMMAND=x/${repo}`, /^GIT_SSH_COMMAND cannot be set.*GIT_\*/],
    [`MAVEN_CONFIG=x/${repo}`, /^MAVEN_CONFIG cannot be set.*\*_CONFIG/],
    [`CARGO_HOME=x/${repo}`, /^CARGO_HOME cannot be set.*\*_HOME/],
    [
      `GITPOD_WORKSPACE_ID=x/${repo}`,
      /^GITPOD_WORKSPACE_ID cannot be set .*GITPOD_\*, ATELIER_\* and SUPERVISOR_\* are set by Atelier itself$/,
    ],
    [`ATELIER_WORKSPACE_ID=x/${repo}`, /^ATELIER_WORKSPACE_ID cannot be set .* set by Atelier itself$/],
    [`SUPERVISOR_DOTFILE_REPO=x/${repo}`, /^SUPERVISOR_DOTFILE_REPO cannot be set .* set by Atelier itself$/],
    [`FOO=ok,LD_AUDIT=x/${repo}`, /^LD_AUDIT cannot be set/],
    [`FOO=%24(id)/${repo}`, /^the value of FOO in the context URL may hold only letters, digits/],
    [`FOO=a%20b/${repo}`, /^the value of FOO .* may hold only/],
    [`FOO=a%3Bb/${repo}`, /^the value of FOO .* may hold only/],
    [`FOO=a%2Fb/${repo}`, /^the value of FOO .* may hold only/],
    [`FOO=%E0%A4%A/${repo}`, /^the value of FOO in the context URL has a malformed %-escape/],
    [`1FOO=x/${repo}`, /^"1FOO" is not a variable name.*\(in the context URL's prefix\)/],
    [`FOO-BAR=x/${repo}`, /^"FOO-BAR" is not a variable name/],
    [`=x/${repo}`, /^"=x" in the context URL's prefix is not NAME=value/],
    [`FOO=x,BAR/${repo}`, /^"BAR" in the context URL's prefix is not NAME=value/],
    [`FOO=x,FOO=y/${repo}`, /^FOO appears twice in the context URL's prefix/],
    ['FOO=bar/', /^"" is not a URL/],
    ['FOO=bar', /^"FOO=bar" is not a URL/],
  ];
  for (const [input, message] of bad) {
    test(`refuses ${input}`, () => {
      assert.throws(
        () => parseContextUrl(input),
        (e: Error & { code?: string }) => e.code === 'invalid_argument' && message.test(e.message),
      );
    });
  }
});

describe('contextFromHash (dashboard links https://<domain>/#<context>)', () => {
  const cases: [string, string | undefined][] = [
    ['#https://github.com/o/r', 'https://github.com/o/r'],
    ['#https%3A%2F%2Fgithub.com%2Fo%2Fr', 'https://github.com/o/r'],
    ['#FOO=bar,N=1/https://github.com/o/r', 'FOO=bar,N=1/https://github.com/o/r'],
    // the prefix's own escapes are the server's to decode
    ['#FOO=bar%2Fbaz/https://github.com/o/r', 'FOO=bar%2Fbaz/https://github.com/o/r'],
    // refused later by the server, with its reason: the page shows it
    ['#LD_PRELOAD=x/https://github.com/o/r', 'LD_PRELOAD=x/https://github.com/o/r'],
    ['#file:///srv/repo', 'file:///srv/repo'],
    ['', undefined],
    ['#/workspaces', undefined],
    ['#FOO=bar/not-a-url', undefined],
    ['#https://github.com/o/r and more', undefined],
    ['#https%3A%2F%2Fx%E0%A4%A', undefined],
  ];
  for (const [hash, expected] of cases) {
    test(`${JSON.stringify(hash)} → ${expected ?? 'no context'}`, () => {
      assert.equal(contextFromHash(hash), expected);
    });
  }
});
