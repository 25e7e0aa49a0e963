// gp's command line: suggestions, tables, port and flag parsing, help, versions, exit codes, and the
// message when no supervisor answers.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closest, editDistance, helpText, parsePort, renderTable, UsageError, wantsHelp } from './cli.js';
import { FakeWorkspace, runAgainst } from './fake-workspace.js';
import { GP_VERSION, rootCommand } from './gp.js';

describe('closest command', () => {
  const names = rootCommand.subcommands?.filter((c) => !c.hidden).map((c) => c.name) ?? [];
  const cases: [string, string | undefined][] = [
    ['prots', 'ports'],
    ['port', 'ports'],
    ['task', 'tasks'],
    ['tmeout', 'timeout'],
    ['timout', 'timeout'],
    ['valdate', 'validate'],
    ['sync-wait', 'sync-await'],
    ['sync', undefined], // sync-await and sync-done: no single guess
    ['envv', 'env'],
    ['URL', 'url'],
    ['xyz', undefined],
    ['deploy', undefined],
  ];
  for (const [typed, expected] of cases) {
    it(`${typed} → ${expected ?? 'no suggestion'}`, () => assert.equal(closest(typed, names), expected));
  }
  it('counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('prots', 'ports'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
  });
});

describe('renderTable', () => {
  it('pads every column but the last to its widest cell', () => {
    const text = renderTable(
      ['PORT', 'STATE', 'NAME'],
      [
        ['3000', 'served', 'App'],
        ['35729', 'not served', ''],
      ],
    );
    assert.equal(text, 'PORT   STATE       NAME\n3000   served      App\n35729  not served\n');
  });
});

describe('parsePort', () => {
  const usage = ['gp url [port]'];
  const good: [string, number][] = [
    ['1', 1],
    ['3000', 3000],
    ['65535', 65535],
  ];
  for (const [text, n] of good) it(`${text} is port ${n}`, () => assert.equal(parsePort(text, usage), n));
  for (const bad of ['0', '65536', '-1', '3000a', 'http', '1e3', '']) {
    it(`'${bad}' is rejected with the range`, () =>
      assert.throws(
        () => parsePort(bad, usage),
        (e: unknown) => e instanceof UsageError && /give a number from 1 to 65535/.test(e.message),
      ));
  }
});

describe('wantsHelp', () => {
  const cases: [string[], boolean][] = [
    [['-h'], true],
    [['3000', '--help'], true],
    [['--', '-h'], false],
    [['-e', 'FOO=-h'], false],
    [[], false],
  ];
  for (const [args, expected] of cases)
    it(JSON.stringify(args), () => assert.equal(wantsHelp(args), expected));
});

describe('gp itself', () => {
  let fake: FakeWorkspace;
  before(async () => {
    fake = await FakeWorkspace.start();
  });
  after(() => fake.close());

  it('prints its help on stdout for --help, -h, help and no arguments', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], []]) {
      const r = await fake.run(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.equal(r.stdout, helpText(rootCommand));
      assert.match(r.stdout, /^ {2}ports +list ports/m);
      assert.doesNotMatch(r.stdout, /forward-port|await-port/);
      assert.equal(r.stderr, '');
    }
  });

  it('has help for every command and subcommand, exit 0', async () => {
    const walk = async (prefix: string[], commands: typeof rootCommand.subcommands) => {
      for (const c of commands ?? []) {
        const r = await fake.run([...prefix, c.name, '--help']);
        assert.equal(r.code, 0, [...prefix, c.name].join(' '));
        assert.match(r.stdout, /^usage: gp /m, [...prefix, c.name].join(' '));
        await walk([...prefix, c.name], c.subcommands);
      }
    };
    await walk([], rootCommand.subcommands);
    assert.equal((await fake.run(['help', 'ports', 'await'])).stdout.includes('--timeout'), true);
  });

  it('prints its version', async () => {
    for (const argv of [['version'], ['--version'], ['-v']]) {
      const r = await fake.run(argv);
      assert.deepEqual(r, { code: 0, stdout: `gp ${GP_VERSION} (Atelier)\n`, stderr: '' });
    }
    assert.match(GP_VERSION, /^\d+\.\d+\.\d+/);
  });

  it('suggests the closest command for an unknown one, exit 2 with the usage', async () => {
    const r = await fake.run(['prots', 'list']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      "gp: unknown command 'prots'; did you mean ports?\nusage: gp <command> [arguments]\n",
    );
    const sub = await fake.run(['ports', 'lst']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /^gp: unknown command 'ports lst'; did you mean ports list\?\n/);
    const none = await fake.run(['deploy']);
    assert.match(none.stderr, /^gp: unknown command 'deploy'; run 'gp --help' for the list\n/);
  });

  it('rejects unknown flags and extra arguments with the usage line, exit 2', async () => {
    const flag = await fake.run(['url', '--bogus']);
    assert.equal(flag.code, 2);
    assert.equal(flag.stderr, 'gp: unknown flag --bogus\nusage: gp url [port]\n');
    const extra = await fake.run(['url', '3000', '4000']);
    assert.equal(extra.code, 2);
    assert.equal(extra.stderr, "gp: unexpected argument '4000'\nusage: gp url [port]\n");
    const missing = await fake.run(['env', '-s']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^gp: -s, --scope <value> needs a value\n/);
  });

  it('says it works inside a workspace when nothing answers, exit 1', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const api = `http://127.0.0.1:${port}`;
    for (const argv of [['url'], ['ports', 'list'], ['tasks', 'attach', '0'], ['timeout', 'show'], ['env']]) {
      const r = await runAgainst(api, argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.equal(
        r.stderr,
        `gp: cannot reach the workspace's supervisor at ${api} — gp works inside an Atelier workspace\n`,
      );
    }
  });
});
