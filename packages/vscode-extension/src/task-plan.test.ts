// Which task terminals to create, and their names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskStatus } from '@atelier/protocol';
import { terminalsToCreate } from './task-plan.js';

const task = (index: number, name: string, state: TaskStatus['state'], alias: string | null): TaskStatus => ({
  index,
  name,
  alias,
  state,
  exitCode: state === 'exited' ? 0 : null,
});

describe('terminalsToCreate', () => {
  const rows: { name: string; tasks: TaskStatus[]; known?: string[]; expected: string[] }[] = [
    {
      name: 'running tasks with a terminal, in order',
      tasks: [task(0, 'install', 'running', 't1'), task(1, 'dev server', 'running', 't2')],
      expected: ['t1 install', 't2 dev server'],
    },
    {
      name: 'pending and exited tasks get none',
      tasks: [task(0, 'a', 'pending', null), task(1, 'b', 'exited', 't2'), task(2, 'c', 'running', 't3')],
      expected: ['t3 c'],
    },
    {
      name: 'terminals that exist already are not created twice',
      tasks: [task(0, 'a', 'running', 't1'), task(1, 'b', 'running', 't2')],
      known: ['t1'],
      expected: ['t2 b'],
    },
    {
      name: 'tasks that share a name get their position',
      tasks: [
        task(0, 'build', 'running', 't1'),
        task(1, 'build', 'running', 't2'),
        task(2, 'web', 'running', 't3'),
      ],
      expected: ['t1 build (1)', 't2 build (2)', 't3 web'],
    },
    {
      name: 'an unnamed task is called by its position',
      tasks: [task(0, '  ', 'running', 't1')],
      expected: ['t1 Task 1'],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const known = new Set(row.known ?? []);
      const plans = terminalsToCreate(row.tasks, (alias) => known.has(alias));
      assert.deepEqual(
        plans.map((p) => `${p.alias} ${p.name}`),
        row.expected,
      );
    });
  }

  it('a terminal found by name counts as known', () => {
    const plans = terminalsToCreate([task(0, 'dev', 'running', 't9')], (_alias, name) => name === 'dev');
    assert.deepEqual(plans, []);
  });
});
