// `gp timeout` and `gp stop` against the server's endpoints: Go durations checked before the call, the
// server's refusals passed through with their exit codes.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeWorkspace } from './fake-workspace.js';
import { describeTimeout, GO_DURATION } from './timeout.js';

describe('Go duration syntax', () => {
  const cases: [string, boolean][] = [
    ['30m', true],
    ['3h', true],
    ['1h30m', true],
    ['90s', true],
    ['500ms', true],
    ['10µs', true],
    ['24h', true],
    ['1.5h', false],
    ['3 h', false],
    ['h', false],
    ['30', false],
    ['-1h', false],
    ['3d', false],
    ['', false],
  ];
  for (const [text, valid] of cases)
    it(`${JSON.stringify(text)} ${valid ? 'is' : 'is not'} a duration`, () => {
      assert.equal(GO_DURATION.test(text), valid);
    });
});

describe('gp timeout and gp stop', () => {
  let fake: FakeWorkspace;
  before(async () => {
    fake = await FakeWorkspace.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.state.timeout = {
      ...fake.state.timeout,
      inactivityMs: 1_800_000,
      inactivity: '30m',
      source: 'default',
    };
    fake.state.timeout.userTimeoutsAllowed = true;
  });

  it('shows the time-out and where it comes from', async () => {
    const r = await fake.run(['timeout', 'show']);
    assert.deepEqual(r, {
      code: 0,
      stdout: "30m (the installation's default); the workspace stops after 30m without activity\n",
      stderr: '',
    });
    const json = JSON.parse((await fake.run(['timeout', 'show', '--json'])).stdout) as {
      inactivityMs: number;
    };
    assert.equal(json.inactivityMs, 1_800_000);
    assert.match(
      describeTimeout({ ...fake.state.timeout, userTimeoutsAllowed: false, source: 'user' }),
      /^30m \(your preference\); .*; the administrator does not let users change it$/,
    );
  });

  it('sets a duration', async () => {
    const r = await fake.run(['timeout', 'set', '1h30m']);
    assert.deepEqual(r, {
      code: 0,
      stdout: 'the workspace now stops after 1h30m without activity\n',
      stderr: '',
    });
    assert.equal(fake.state.timeout.inactivityMs, 5_400_000);
  });

  it('checks the syntax before calling the server', async () => {
    const r = await fake.run(['timeout', 'set', '2 hours']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "gp: '2 hours' is not a duration: write e.g. 30m, 3h or 1h30m\nusage: gp timeout set <duration>\n",
    );
    assert.equal(fake.state.timeout.inactivity, '30m');
  });

  it("passes the server's refusal through: more than 24h, and an administrator who does not allow it", async () => {
    const long = await fake.run(['timeout', 'set', '48h']);
    assert.deepEqual(long, { code: 2, stdout: '', stderr: 'gp: a time-out is at most 24h\n' });
    fake.state.timeout.userTimeoutsAllowed = false;
    const denied = await fake.run(['timeout', 'extend']);
    assert.deepEqual(denied, {
      code: 3,
      stdout: '',
      stderr: 'gp: the administrator does not allow users to change time-outs\n',
    });
  });

  it('extends to 180m', async () => {
    const r = await fake.run(['timeout', 'extend']);
    assert.deepEqual(r, {
      code: 0,
      stdout: 'time-out extended: the workspace now stops after 180m without activity\n',
      stderr: '',
    });
    assert.equal(fake.state.timeout.inactivityMs, 10_800_000);
  });

  it('stops the workspace', async () => {
    const r = await fake.run(['stop']);
    assert.deepEqual(r, {
      code: 0,
      stdout: 'stopping workspace amber-fox-1234abcd; its /workspace is saved first\n',
      stderr: '',
    });
    assert.equal(fake.state.stopped, 1);
  });
});
