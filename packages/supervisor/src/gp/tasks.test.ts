// `gp tasks`: the table, finding a task by index or name, stopping, and attaching over a real WebSocket
// (output shown, keys and sizes sent, Ctrl-] detaches, the task's end ends it).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { TaskStatus, TerminalClientMessage } from '@atelier/protocol';
import type { WebSocket } from 'ws';
import { Capture, FakeWorkspace } from './fake-workspace.js';
import { findTask, taskRows } from './task-status.js';

const task = (index: number, name: string, over: Partial<TaskStatus> = {}): TaskStatus => ({
  index,
  name,
  alias: `task-${index}`,
  state: 'running',
  exitCode: null,
  ...over,
});

const TASKS = [
  task(0, 'Backend'),
  task(1, 'Frontend'),
  task(2, 'Setup', { state: 'exited', exitCode: 0 }),
  task(3, 'Later', { state: 'pending', alias: null }),
];

describe('findTask', () => {
  const cases: [string, number | RegExp][] = [
    ['0', 0],
    ['2', 2],
    ['Frontend', 1],
    ['frontend', 1],
    ['7', /no task 7: the tasks are 0 Backend, 1 Frontend, 2 Setup, 3 Later$/],
    ['Docs', /no task named 'Docs'/],
  ];
  for (const [ref, expected] of cases) {
    it(`${ref} → ${expected}`, () => {
      if (typeof expected === 'number') assert.equal(findTask(TASKS, ref).index, expected);
      else assert.throws(() => findTask(TASKS, ref), expected);
    });
  }
  it('asks for the index when two tasks share a name', () =>
    assert.throws(
      () => findTask([task(0, 'web'), task(1, 'web')], 'web'),
      /2 tasks are named 'web': give the index \(0, 1\)/,
    ));
});

describe('taskRows', () => {
  it('shows state, exit code and terminal', () =>
    assert.deepEqual(taskRows(TASKS), [
      ['0', 'Backend', 'running', 'task-0'],
      ['1', 'Frontend', 'running', 'task-1'],
      ['2', 'Setup', 'exited (0)', 'task-2'],
      ['3', 'Later', 'pending', '-'],
    ]));
});

/** A terminal on the fake supervisor: what the client sent, and the socket to answer on. */
interface Attached {
  alias: string;
  ws: WebSocket;
  messages: TerminalClientMessage[];
}

describe('gp tasks', () => {
  let fake: FakeWorkspace;
  let attached: Attached[] = [];
  before(async () => {
    fake = await FakeWorkspace.start();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.state.tasks = TASKS.map((t) => ({ ...t }));
    fake.state.stoppedTasks = [];
    attached = [];
    fake.state.onAttach = (alias, ws) => {
      const entry: Attached = { alias, ws, messages: [] };
      ws.on('message', (data: Buffer) =>
        entry.messages.push(JSON.parse(data.toString()) as TerminalClientMessage),
      );
      attached.push(entry);
      ws.send(Buffer.from(`scrollback of ${alias}\r\n`), { binary: true });
    };
  });

  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('lists the tasks', async () => {
    const r = await fake.run(['tasks', 'list']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'INDEX  NAME      STATE       TERMINAL',
        '0      Backend   running     task-0',
        '1      Frontend  running     task-1',
        '2      Setup     exited (0)  task-2',
        '3      Later     pending     -',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await fake.run(['tasks', 'list', '--json'])).stdout) as TaskStatus[];
    assert.deepEqual(json, fake.state.tasks);
  });

  it('stops tasks by name or index, or all running ones', async () => {
    const r = await fake.run(['tasks', 'stop', 'frontend', '0']);
    assert.deepEqual(r, {
      code: 0,
      stdout: 'stopped task 1 (Frontend)\nstopped task 0 (Backend)\n',
      stderr: '',
    });
    assert.deepEqual(fake.state.stoppedTasks, [1, 0]);
    fake.state.stoppedTasks = [];
    assert.equal((await fake.run(['tasks', 'stop', '--all'])).code, 0);
    assert.deepEqual(fake.state.stoppedTasks, [0, 1]);
    const unknown = await fake.run(['tasks', 'stop', 'Docs']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^gp: no task named 'Docs'/);
    assert.equal((await fake.run(['tasks', 'stop'])).code, 2);
    assert.equal((await fake.run(['tasks', 'stop', '--all', '0'])).code, 2);
  });

  it('attaches: shows output, sends input and sizes, detaches with Ctrl-]', async () => {
    const stdin = new PassThrough();
    const stdout = Object.assign(new Capture(), { columns: 120, rows: 40 });
    const stderr = new Capture();
    const running = fake.run(['tasks', 'attach', 'Backend'], { stdin, stdout, stderr, isTTY: true });
    await stderr.waitFor('gp: attached to task 0 (Backend); detach with Ctrl-]');
    await stdout.waitFor('scrollback of task-0');
    const terminal = attached[0];
    assert.ok(terminal);
    await until(() => terminal.messages.length >= 1, 'the size');
    assert.deepEqual(terminal.messages[0], { type: 'resize', cols: 120, rows: 40 });
    terminal.ws.send(Buffer.from('$ '), { binary: true });
    await stdout.waitFor('$ ');
    stdin.write('ls -l\r');
    stdin.write(Buffer.from([0xc3])); // half of "é": sent once the character is complete
    stdin.write(Buffer.from([0xa9]));
    await until(() => terminal.messages.length >= 3, 'the input');
    assert.deepEqual(terminal.messages.slice(1), [
      { type: 'input', data: 'ls -l\r' },
      { type: 'input', data: 'é' },
    ]);
    stdout.columns = 100;
    stdout.emit('resize');
    await until(() => terminal.messages.length >= 4, 'the new size');
    assert.deepEqual(terminal.messages[3], { type: 'resize', cols: 100, rows: 40 });
    stdin.write(Buffer.from('x\x1dignored'));
    const r = await running;
    assert.equal(r.code, 0);
    assert.deepEqual(terminal.messages.at(-1), { type: 'input', data: 'x' });
    assert.match(r.stderr, /gp: detached from task 0 \(Backend\); it keeps running\n$/);
  });

  it("ends when the task's shell ends", async () => {
    const stderr = new Capture();
    const running = fake.run(['tasks', 'attach', '1'], { stderr });
    await stderr.waitFor('attached to task 1');
    const terminal = attached[0];
    assert.ok(terminal);
    terminal.ws.send(Buffer.from('bye\r\n'), { binary: true });
    terminal.ws.close(1000, 'exit 3');
    await once(terminal.ws, 'close');
    const r = await running;
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'scrollback of task-1\r\nbye\r\n');
    assert.match(r.stderr, /gp: task 1 \(Frontend\) ended \(exit 3\)\n$/);
    assert.equal(terminal.messages.length, 0, 'no size without a terminal');
  });

  it('without an argument: asks for the index when several run and stdin is no terminal', async () => {
    const r = await fake.run(['tasks', 'attach']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'gp: 2 tasks are running: give the index or name, e.g. gp tasks attach 0\n  0) Backend\n  1) Frontend\n',
    );
  });

  it('without an argument on a terminal: a numbered choice', async () => {
    const stdin = new PassThrough();
    const stderr = new Capture();
    const running = fake.run(['tasks', 'attach'], { stdin, stderr, isTTY: true });
    await stderr.waitFor('attach to which one? ');
    stdin.write('1\n');
    await stderr.waitFor('attached to task 1 (Frontend)');
    stdin.write('\x1d');
    assert.equal((await running).code, 0);
    assert.equal(attached[0]?.alias, 'task-1');
  });

  it('without an argument and one running task: attaches to it', async () => {
    fake.state.tasks = [task(0, 'Only'), task(1, 'Done', { state: 'exited', exitCode: 1 })];
    const stdin = new PassThrough();
    const stderr = new Capture();
    const running = fake.run(['tasks', 'attach'], { stdin, stderr });
    await stderr.waitFor('attached to task 0 (Only)');
    stdin.write('\x1d');
    assert.equal((await running).code, 0);
  });

  it('says why a pending or ended task cannot be attached', async () => {
    const pending = await fake.run(['tasks', 'attach', '3']);
    assert.deepEqual(pending, {
      code: 1,
      stdout: '',
      stderr: 'gp: task 3 (Later) has not started yet: its terminal opens once the content is ready\n',
    });
    const ended = await fake.run(['tasks', 'attach', 'Setup']);
    assert.equal(ended.stderr, 'gp: task 2 (Setup) has ended: its terminal is gone\n');
  });

  it("reports the supervisor's refusal of the WebSocket", async () => {
    fake.state.tasks = [task(0, 'Ghost', { alias: 'gone' })];
    fake.state.goneTerminals.add('gone');
    const r = await fake.run(['tasks', 'attach', '0']);
    assert.equal(r.code, 3);
    assert.equal(r.stderr, "gp: no terminal 'gone'\n");
  });
});
