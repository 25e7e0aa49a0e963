// Attaching to a task terminal over WebSocket: replay, input, resize, exit, reconnect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeSupervisor, fakeInfo } from './fake-supervisor.js';
import { Backoff } from './reconnect.js';
import { SupervisorApi } from './supervisor-api.js';
import { closeOutcome, RESET_SCREEN, TerminalConnection } from './terminal-connection.js';

let fake: FakeSupervisor;
let api: SupervisorApi;

before(async () => {
  fake = await FakeSupervisor.start({
    info: fakeInfo(),
    tasks: [],
    ports: [],
    ideStatus: { ide: 'code', ready: true, error: null, extensions: [] },
  });
  api = new SupervisorApi(fake.url);
});
after(() => fake.close());

/** Records what a connection reports; `until` waits for a condition on it. */
function recorder() {
  const r = {
    screen: '',
    exits: [] as (number | undefined)[],
    connects: 0,
    logs: [] as string[],
    events: {
      output: (text: string) => {
        r.screen += text;
      },
      exited: (code: number | undefined) => r.exits.push(code),
      connected: () => r.connects++,
      log: (m: string) => r.logs.push(m),
    },
    async until(what: string, condition: () => boolean): Promise<void> {
      const deadline = Date.now() + 5000;
      while (!condition()) {
        if (Date.now() > deadline)
          assert.fail(`timed out waiting for ${what}; screen: ${JSON.stringify(r.screen)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
  return r;
}

const fastBackoff = () => new Backoff({ initialMs: 20, maxMs: 100, factor: 2 });

describe('TerminalConnection', () => {
  it('shows the replayed output (multibyte characters split across frames intact), then what is typed', async () => {
    const terminal = fake.terminal('replay');
    const bytes = Buffer.from('build ✓ café\r\n$ ', 'utf8');
    const cut = bytes.indexOf(Buffer.from('✓')) + 1; // in the middle of the check mark
    terminal.write(bytes.subarray(0, cut));
    terminal.write(bytes.subarray(cut));
    const r = recorder();
    const connection = new TerminalConnection(api.terminalAttachUrl('replay'), r.events, fastBackoff());
    connection.input('ls'); // typed before the socket is open: sent once it is
    connection.start({ columns: 120, rows: 30 });
    await r.until('the echo', () => r.screen.endsWith('$ ls'));
    assert.equal(r.screen, 'build ✓ café\r\n$ ls');
    connection.resize({ columns: 100.7, rows: 2000 });
    await r.until('the resize', () => terminal.sizes.length === 2);
    assert.deepEqual(terminal.sizes, [
      { cols: 120, rows: 30 },
      { cols: 100, rows: 1000 },
    ]);
    assert.deepEqual(terminal.inputs, ['ls']);
    connection.stop();
    await r.until('the detach', () => terminal.clients.size === 0);
    assert.deepEqual(r.exits, []);
  });

  it('reports the exit code when the task terminal ends', async () => {
    fake.terminal('ends').write('done\r\n');
    const r = recorder();
    new TerminalConnection(api.terminalAttachUrl('ends'), r.events, fastBackoff()).start();
    await r.until('the replay', () => r.screen === 'done\r\n');
    fake.exit('ends', 3);
    await r.until('the exit', () => r.exits.length === 1);
    assert.deepEqual(r.exits, [3]);
  });

  it('a terminal that is gone (404 on attach) counts as exited, without retries', async () => {
    const r = recorder();
    new TerminalConnection(api.terminalAttachUrl('never-was'), r.events, fastBackoff()).start();
    await r.until('the exit', () => r.exits.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(r.exits, [undefined]);
    assert.equal(r.connects, 0);
  });

  it('reconnects after a dropped connection and starts from a clean screen', async () => {
    const terminal = fake.terminal('flaky');
    terminal.write('line 1\r\n');
    const r = recorder();
    const connection = new TerminalConnection(api.terminalAttachUrl('flaky'), r.events, fastBackoff());
    connection.start();
    await r.until('the first attach', () => r.screen === 'line 1\r\n');
    fake.dropTerminalConnections();
    await r.until('the reconnect', () => r.connects === 2 && r.screen.endsWith('line 1\r\n'));
    const [before, after] = r.screen.split(RESET_SCREEN);
    assert.match(before ?? '', /\[connection lost: closed with 1006; reconnecting…\]/);
    assert.equal(after, 'line 1\r\n');
    assert.match(r.logs[0] ?? '', /closed with 1006; reconnecting in 20 ms$/);
    connection.stop();
  });
});

describe('closeOutcome', () => {
  const rows: { code: number; reason: string; status?: number; expected: ReturnType<typeof closeOutcome> }[] =
    [
      { code: 1000, reason: 'exit 0', expected: { kind: 'exited', code: 0 } },
      { code: 1000, reason: 'exit 130', expected: { kind: 'exited', code: 130 } },
      { code: 1006, reason: '', status: 404, expected: { kind: 'exited', code: undefined } },
      {
        code: 1006,
        reason: '',
        status: 502,
        expected: { kind: 'lost', why: 'the supervisor refused with HTTP 502' },
      },
      {
        code: 1001,
        reason: 'the workspace is stopping',
        expected: { kind: 'lost', why: 'closed with 1001 (the workspace is stopping)' },
      },
      { code: 1006, reason: '', expected: { kind: 'lost', why: 'closed with 1006' } },
    ];
  for (const row of rows) {
    it(`${row.code} ${row.reason || '-'} ${row.status ?? ''}`, () => {
      assert.deepEqual(closeOutcome(row.code, row.reason, row.status), row.expected);
    });
  }
});
