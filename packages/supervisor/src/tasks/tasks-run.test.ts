// Tasks as the supervisor runs them: one named terminal each, before/init/command by start kind,
// their state and output through the API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { supervisorPaths as P, type SupervisorConfig, supervisorConfigSchema } from '@atelier/protocol';
import { attach, configFor, type Harness, harness } from '../testing/harness.js';

describe('tasks', () => {
  const tasks = [
    {
      name: 'web',
      before: 'echo before-$((1+1))',
      init: 'echo init-ran > init.txt\necho init-$((2+2))',
      command: 'echo command-$((3+3)) $TASK_VAR',
      env: { TASK_VAR: 'from-the-task' },
    },
    { name: 'second', command: 'echo second-$((5+5))', env: {} },
  ];
  const withTasks = (contentInit: SupervisorConfig['contentInit']) =>
    supervisorConfigSchema.parse({ ...configFor(contentInit), tasks });

  async function taskTerminals(h: Harness): Promise<{ alias: string; title: string }[]> {
    for (let i = 0; i < 100; i++) {
      const { terminals: list } = (await (await h.call(P.terminalList)).json()) as {
        terminals: { alias: string; title: string }[];
      };
      if (list.length >= tasks.length) return list;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the task terminals did not open');
  }

  it('a fresh start runs before, init and command in a terminal per task, named after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sup-tasks-'));
    const h = await harness(dir, withTasks({ kind: 'empty' }));
    try {
      const list = await taskTerminals(h);
      assert.deepEqual(
        list.map((t) => t.title),
        ['web', 'second'],
      );
      const web = attach(h.sup.port, list[0]?.alias ?? '');
      await web.waitFor('command-6 from-the-task');
      assert.ok(web.output.indexOf('before-2') < web.output.indexOf('init-4'), 'before runs first');
      assert.ok(web.output.indexOf('init-4') < web.output.indexOf('command-6'), 'init runs before command');
      const second = attach(h.sup.port, list[1]?.alias ?? '');
      await second.waitFor('second-10');
      web.ws.close();
      second.ws.close();
    } finally {
      await h.sup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the tasks and serves their output: pending, running, exited, still readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sup-tasks-'));
    const h = await harness(dir, withTasks({ kind: 'backup' }));
    const statuses = async () =>
      ((await (await h.call(P.statusTasks)).json()) as { tasks: Record<string, unknown>[] }).tasks;
    const output = async (index: number | string) => {
      const res = await h.call(`${P.taskOutput}/${index}`);
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    /** The output once it holds `text` (the shell writes it in its own time). */
    const outputWith = async (index: number, text: string) => {
      for (let i = 0; i < 100; i++) {
        const out = await output(index);
        if (out.text.includes(text)) return out.text;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(
        `task ${index}'s output never showed '${text}': ${JSON.stringify((await output(index)).text)}`,
      );
    };
    try {
      // content is not ready yet: the tasks wait, and have no output
      assert.deepEqual(await statuses(), [
        { index: 0, name: 'web', alias: null, state: 'pending', exitCode: null },
        { index: 1, name: 'second', alias: null, state: 'pending', exitCode: null },
      ]);
      assert.deepEqual(await output(1), { status: 200, type: 'text/plain; charset=utf-8', text: '' });

      await h.call(P.contentReady, { method: 'POST', body: { source: 'from-backup' } });
      const list = await taskTerminals(h);
      const running = await statuses();
      assert.deepEqual(
        running.map((t) => [t.name, t.state, t.exitCode]),
        [
          ['web', 'running', null],
          ['second', 'running', null],
        ],
      );
      assert.deepEqual(
        running.map((t) => t.alias),
        list.map((t) => t.alias),
        'each task names the terminal it runs in',
      );
      const second = attach(h.sup.port, String(running[1]?.alias));
      await second.waitFor('second-10');
      assert.match((await output(1)).text, /second-10/);
      await outputWith(0, 'command-6 from-the-task');

      // the task's shell exits: the task says so, and its output stays readable
      second.send({ type: 'input', data: 'echo bye-$((7*6)); exit 3\r' });
      await second.closed;
      const after = await statuses();
      assert.deepEqual(after[1], {
        index: 1,
        name: 'second',
        alias: running[1]?.alias,
        state: 'exited',
        exitCode: 3,
      });
      assert.equal(after[0]?.state, 'running');
      const kept = await output(1);
      assert.match(kept.text, /second-10[\s\S]*bye-42/);

      const missing = await output(2);
      assert.equal(missing.status, 404);
      assert.match(JSON.parse(missing.text).message, /no task 2: this workspace has 2 task\(s\)/);
      assert.equal((await output('x')).status, 400);
      assert.equal((await output('-1')).status, 400);
    } finally {
      await h.sup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a start from a backup runs before and command, not init', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sup-tasks-'));
    const h = await harness(dir, withTasks({ kind: 'backup' }));
    try {
      const ready = await h.call(P.contentReady, { method: 'POST', body: { source: 'from-backup' } });
      assert.equal(ready.status, 200);
      const list = await taskTerminals(h);
      const web = attach(h.sup.port, list[0]?.alias ?? '');
      await web.waitFor('command-6 from-the-task');
      assert.ok(web.output.includes('before-2'));
      assert.ok(!web.output.includes('init-4'), `init did not run:\n${web.output}`);
      web.ws.close();
    } finally {
      await h.sup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
