import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  composeWorkspaceEnv,
  ENV_VALUE_MAX_BYTES,
  envValueProblem,
  matchesRepositoryPattern,
  normalizeRepositoryPattern,
  repositoryPatternProblem,
  type UserEnvValue,
  userEnvFor,
  userEnvNameProblem,
} from './env.js';

describe('user variable names', () => {
  const cases: [string, RegExp | undefined][] = [
    ['FOO', undefined],
    ['_foo_1', undefined],
    ['a', undefined],
    ['N'.repeat(255), undefined],
    ['N'.repeat(256), /at most 255 characters/],
    ['', /must not be empty/],
    ['1FOO', /"1FOO" is not a variable name: use letters, digits and "_", and do not start with a digit/],
    ['FOO-BAR', /is not a variable name/],
    ['FOO BAR', /is not a variable name/],
    ['FÖÖ', /is not a variable name/],
    ['GITPOD_TOKEN', /GITPOD_TOKEN starts with GITPOD_, which is reserved .* choose another name/],
    ['ATELIER_X', /starts with ATELIER_, which is reserved/],
    ['MY_GITPOD_X', undefined],
  ];
  for (const [name, problem] of cases) {
    test(`${name.length > 20 ? `${name.slice(0, 8)}… (${name.length})` : JSON.stringify(name)} → ${problem ?? 'ok'}`, () => {
      const found = userEnvNameProblem(name);
      if (problem) assert.match(found ?? '', problem);
      else assert.equal(found, undefined);
    });
  }
});

describe('user variable values', () => {
  const cases: [string, string, RegExp | undefined][] = [
    ['plain', 'secret', undefined],
    ['spaces, quotes and newlines', ' a "b"\n$c ', undefined],
    ['empty', '', /must not be empty: delete the variable instead/],
    ['NUL', 'a\0b', /must not contain NUL/],
    ['at the limit', 'x'.repeat(ENV_VALUE_MAX_BYTES), undefined],
    ['over the limit', 'x'.repeat(ENV_VALUE_MAX_BYTES + 1), /at most 32767 bytes \(this one has 32768\)/],
    ['counted in UTF-8 bytes', 'é'.repeat(20_000), /at most 32767 bytes \(this one has 40000\)/],
  ];
  for (const [label, value, problem] of cases) {
    test(`${label} → ${problem ?? 'ok'}`, () => {
      const found = envValueProblem(value);
      if (problem) assert.match(found ?? '', problem);
      else assert.equal(found, undefined);
    });
  }
});

describe('repository patterns', () => {
  const rules: [string, RegExp | undefined][] = [
    ['owner/repo', undefined],
    ['*/*', undefined],
    ['*/repo', undefined],
    ['owner/*', undefined],
    ['owner/**', undefined],
    ['group/sub/repo', undefined],
    ['127.0.0.1/my_repo-2', undefined],
    ['repo', /"repo" is not a repository pattern: write owner\/repo, with \* for any one segment/],
    ['*', /is not a repository pattern/],
    ['**/repo', /\*\* \(any number of segments\) may only be the last segment/],
    ['owner//repo', /segment "" may hold only/],
    ['owner/re*po', /segment "re\*po" may hold only letters, digits, ".", "_" and "-", or be \* alone/],
    ['owner/repo name', /segment "repo name"/],
    [`o/${'r'.repeat(254)}`, /at most 255 characters/],
  ];
  for (const [pattern, problem] of rules) {
    test(`${pattern.length > 30 ? `${pattern.slice(0, 8)}…` : pattern} → ${problem ?? 'ok'}`, () => {
      const found = repositoryPatternProblem(pattern);
      if (problem) assert.match(found ?? '', problem);
      else assert.equal(found, undefined);
    });
  }

  test('patterns are stored trimmed and in lower case', () => {
    assert.equal(normalizeRepositoryPattern('  Owner/Repo '), 'owner/repo');
  });

  const matches: [string, string, boolean][] = [
    ['owner/repo', 'owner/repo', true],
    ['owner/repo', 'Owner/Repo', true],
    ['OWNER/repo', 'owner/repo', true],
    ['owner/repo', 'owner/other', false],
    ['owner/*', 'owner/anything', true],
    ['owner/*', 'other/anything', false],
    ['*/repo', 'anyone/repo', true],
    ['*/*', 'a/b', true],
    ['*/*', '/repo', true],
    ['*/*', 'a/b/c', false],
    ['*/*/*', 'a/b', false],
    ['owner/**', 'owner/repo', true],
    ['owner/**', 'owner/sub/repo', true],
    ['owner/**', 'owner', false],
    ['*/**', 'a/b/c/d', true],
    ['owner', 'owner', false],
    ['group/sub/repo', 'group/sub/repo', true],
  ];
  for (const [pattern, repository, expected] of matches) {
    test(`${pattern} ${expected ? 'matches' : 'does not match'} ${repository}`, () => {
      assert.equal(matchesRepositoryPattern(pattern, repository), expected);
    });
  }
});

describe('the user variables of a repository', () => {
  const v = (name: string, repositoryPattern: string, value: string): UserEnvValue => ({
    name,
    repositoryPattern,
    value,
  });
  const cases: [string, UserEnvValue[], string, Record<string, string>][] = [
    ['none', [], 'a/b', {}],
    ['only matching ones', [v('X', 'a/b', '1'), v('Y', 'c/d', '2')], 'a/b', { X: '1' }],
    [
      'exact beats owner/* beats */repo beats */*, in any order',
      [v('X', '*/*', 'all'), v('X', '*/b', 'any-owner'), v('X', 'a/b', 'exact'), v('X', 'a/*', 'owner')],
      'a/b',
      { X: 'exact' },
    ],
    [
      'owner/* beats */repo',
      [v('X', '*/b', 'any-owner'), v('X', 'a/*', 'owner'), v('X', '*/*', 'all')],
      'a/b',
      { X: 'owner' },
    ],
    ['*/repo beats */*', [v('X', '*/*', 'all'), v('X', '*/b', 'any-owner')], 'a/b', { X: 'any-owner' }],
    ['* beats **', [v('X', 'a/**', 'deep'), v('X', 'a/*', 'one')], 'a/b', { X: 'one' }],
    [
      'each name resolved on its own',
      [v('X', '*/*', 'x-all'), v('Y', 'a/b', 'y-exact'), v('Y', '*/*', 'y-all')],
      'a/b',
      { X: 'x-all', Y: 'y-exact' },
    ],
    [
      'a more specific pattern for another repository does not apply',
      [v('X', '*/*', 'all'), v('X', 'a/c', 'c')],
      'a/b',
      { X: 'all' },
    ],
  ];
  for (const [label, vars, repository, expected] of cases) {
    test(label, () => assert.deepEqual(userEnvFor(vars, repository), expected));
  }
});

describe('composeWorkspaceEnv: later sources win', () => {
  const sources = {
    config: { A: 'config', B: 'config', C: 'config', D: 'config' },
    user: [
      { name: 'B', repositoryPattern: '*/*', value: 'user-all' },
      { name: 'C', repositoryPattern: 'o/r', value: 'user-exact' },
      { name: 'C', repositoryPattern: '*/*', value: 'user-all' },
      { name: 'D', repositoryPattern: 'o/r', value: 'user-exact' },
      { name: 'E', repositoryPattern: 'x/y', value: 'other-repo' },
    ],
    repository: 'o/r',
    context: { D: 'context' },
    system: { GITPOD_WORKSPACE_ID: 'ws' },
  };
  test('config → user (most specific) → context → system', () => {
    assert.deepEqual(composeWorkspaceEnv(sources), {
      A: 'config',
      B: 'user-all',
      C: 'user-exact',
      D: 'context',
      GITPOD_WORKSPACE_ID: 'ws',
    });
  });
  test('the system variables cannot be overridden by any other source', () => {
    const env = composeWorkspaceEnv({
      ...sources,
      config: { GITPOD_WORKSPACE_ID: 'config' },
      user: [{ name: 'GITPOD_WORKSPACE_ID', repositoryPattern: '*/*', value: 'user' }],
      context: { GITPOD_WORKSPACE_ID: 'context' },
    });
    assert.equal(env.GITPOD_WORKSPACE_ID, 'ws');
  });
});
