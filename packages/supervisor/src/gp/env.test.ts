// `gp env`: assignments and names checked before any call, `-e` lines that bash evaluates back to the
// exact value, and printing, saving and deleting variables against the server's endpoints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, beforeEach, describe, it } from 'node:test';
import { UsageError } from './cli.js';
import { exportLine, parseAssignment, scopePattern, shellQuote } from './env.js';
import { defaultInfo, FakeWorkspace, WORKSPACE_TOKEN } from './fake-workspace.js';

const usage = ['gp env'];

/** What bash has in $name after evaluating `script` (stdin is /dev/null: a socket would make bash read ~/.bashrc). */
function bashEval(script: string, name: string): string {
  return execFileSync('bash', ['-c', `eval "$SCRIPT"; printf %s "$${name}"`], {
    env: { PATH: process.env.PATH, SCRIPT: script },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

describe('parseAssignment', () => {
  const good: [string, { name: string; value: string }][] = [
    ['FOO=bar', { name: 'FOO', value: 'bar' }],
    ['_x1=a=b=c', { name: '_x1', value: 'a=b=c' }],
    ['PATHS= leading space', { name: 'PATHS', value: ' leading space' }],
    ['Q="quoted"', { name: 'Q', value: '"quoted"' }],
    ['NL=line1\nline2', { name: 'NL', value: 'line1\nline2' }],
  ];
  for (const [arg, expected] of good) {
    it(JSON.stringify(arg), () => assert.deepEqual(parseAssignment(arg, usage), expected));
  }
  const bad: [string, RegExp][] = [
    ['FOO', /'FOO' has no '=': write FOO=value to set it, or gp env -u FOO to delete it/],
    ['=bar', /a variable name must not be empty/],
    ['1FOO=x', /"1FOO" is not a variable name: use letters, digits and "_", and do not start with a digit/],
    ['MY-VAR=x', /"MY-VAR" is not a variable name/],
    ['FOO=', /FOO has no value: gp env -u FOO deletes a variable/],
    ['GITPOD_X=1', /GITPOD_X starts with GITPOD_, which is reserved/],
    ['NUL=a\0b', /NUL: a value must not contain NUL characters/],
  ];
  for (const [arg, message] of bad) {
    it(`rejects ${JSON.stringify(arg)}`, () =>
      assert.throws(
        () => parseAssignment(arg, usage),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      ));
  }
});

describe('shell quoting for eval', () => {
  const awkward = [
    `a'b "c" $d`,
    'line1\nline2\n',
    "''",
    '\\',
    '$(touch /tmp/gp-should-not-exist) `id` !x *',
    'ümlaut ✔ tab\there',
    ' ',
  ];
  for (const value of awkward) {
    it(`bash gets back ${JSON.stringify(value)}`, () => {
      assert.equal(bashEval(exportLine('FOO', value), 'FOO'), value);
    });
  }
  it('wraps in single quotes and escapes only the single quote', () => {
    assert.equal(shellQuote(`it's`), `'it'\\''s'`);
    assert.equal(exportLine('A', 'b c'), `export A='b c'`);
  });
});

describe('scopePattern', () => {
  const info = defaultInfo();
  it('repo: owner/name in lower case', () => assert.equal(scopePattern(info, 'repo'), 'acme/widgets'));
  it('user: every repository', () => assert.equal(scopePattern(info, 'user'), '*/**'));
  it('a plain git URL has no repo scope, and says to use -s user', () => {
    const plain = {
      repository: { cloneUrl: 'https://git.example.com/widgets.git', owner: null, name: 'widgets' },
    };
    assert.throws(
      () => scopePattern(plain, 'repo'),
      /repository \(https:\/\/git\.example\.com\/widgets\.git\) has no owner\/name, so there is no repo scope: use -s user/,
    );
    assert.equal(scopePattern(plain, 'user'), '*/**');
  });
});

describe('gp env against the server', () => {
  let fake: FakeWorkspace;
  before(async () => {
    fake = await FakeWorkspace.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.state.info = defaultInfo();
    fake.state.envVars = [
      { id: 'ev-a', name: 'API_KEY', value: "s3cr'et $x", repositoryPattern: 'acme/widgets' },
      { id: 'ev-b', name: 'EDITOR', value: 'vim', repositoryPattern: '*/**' },
      { id: 'ev-c', name: 'OTHER', value: 'no', repositoryPattern: 'acme/gadgets' },
    ];
  });

  it("prints the variables of this workspace's repository", async () => {
    const plain = await fake.run(['env']);
    assert.deepEqual(plain, { code: 0, stdout: "API_KEY=s3cr'et $x\nEDITOR=vim\n", stderr: '' });
    const exported = await fake.run(['env', '-e']);
    assert.equal(exported.stdout, `export API_KEY='s3cr'\\''et $x'\nexport EDITOR='vim'\n`);
    assert.equal(bashEval(exported.stdout, 'API_KEY'), "s3cr'et $x");
  });

  it('saves NAME=value for owner/repo and tells where it applies', async () => {
    const r = await fake.run(['env', 'FOO=bar baz', 'N=1']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^gp: saved FOO, N for acme\/widgets: workspaces started from now on get them/);
    assert.deepEqual(
      fake.state.envVars
        .filter((v) => ['FOO', 'N'].includes(v.name))
        .map((v) => [v.name, v.value, v.repositoryPattern]),
      [
        ['FOO', 'bar baz', 'acme/widgets'],
        ['N', '1', 'acme/widgets'],
      ],
    );
  });

  it('with -e also prints the export lines; with -s user saves for */**', async () => {
    const r = await fake.run(['env', '-e', '-s', 'user', `FOO=a'b "c" $d`]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `export FOO='a'\\''b "c" $d'\n`);
    assert.match(r.stderr, /saved FOO for \*\/\*\*: workspaces started from now on get it\n$/);
    assert.equal(fake.state.envVars.find((v) => v.name === 'FOO')?.repositoryPattern, '*/**');
  });

  it('checks every name before saving any', async () => {
    const r = await fake.run(['env', 'GOOD=1', '9BAD=2']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^gp: "9BAD" is not a variable name: use letters, digits and "_", and do not start with a digit\nusage: gp env/,
    );
    assert.equal(
      fake.state.envVars.some((v) => v.name === 'GOOD'),
      false,
    );
  });

  it('deletes the variable of this scope with -u, and says when there is none', async () => {
    const r = await fake.run(['env', '-u', 'API_KEY', 'EDITOR']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stderr,
      'gp: deleted API_KEY for acme/widgets\ngp: EDITOR is not set for acme/widgets: nothing to delete (it is set for */**)\n',
    );
    assert.deepEqual(
      fake.state.envVars.map((v) => v.id),
      ['ev-b', 'ev-c'],
    );
    const user = await fake.run(['env', '-u', '-e', '-s', 'user', 'EDITOR']);
    assert.equal(user.stdout, 'unset EDITOR\n');
    assert.deepEqual(
      fake.state.envVars.map((v) => v.id),
      ['ev-c'],
    );
  });

  it('refuses the repo scope for a repository without owner/name', async () => {
    fake.state.info = {
      ...defaultInfo(),
      repository: { cloneUrl: 'git@host:widgets.git', owner: null, name: 'widgets' },
    };
    const r = await fake.run(['env', 'FOO=1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no owner\/name, so there is no repo scope: use -s user/);
    assert.equal((await fake.run(['env', '-s', 'user', 'FOO=1'])).code, 0);
  });

  it('rejects a bad scope and -u without names', async () => {
    const scope = await fake.run(['env', '-s', 'team', 'FOO=1']);
    assert.equal(scope.code, 2);
    assert.match(scope.stderr, /^gp: --scope is repo or user, not 'team'\n/);
    const unset = await fake.run(['env', '-u']);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /^gp: give the names of the variables to delete\n/);
  });

  it('never prints the workspace token', async () => {
    for (const argv of [['env'], ['env', 'FOO=1'], ['env', '-u', 'NOPE'], ['env', '1=2']]) {
      const r = await fake.run(argv);
      assert.equal(`${r.stdout}${r.stderr}`.includes(WORKSPACE_TOKEN), false);
    }
  });
});
