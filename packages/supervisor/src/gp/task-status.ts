// The workspace's tasks as the supervisor reports them (GET /v1/tasks), and how gp names one.
import { type TaskStatus, tasksStatusSchema, workspaceApiPaths } from '@atelier/protocol';
import { CliError } from './cli.js';
import type { GpContext } from './context.js';

export async function listTasks(ctx: GpContext): Promise<TaskStatus[]> {
  return (await ctx.api.json('GET', workspaceApiPaths.tasks, tasksStatusSchema)).tasks;
}

/** `index` and name of a task, as messages name it. */
export const describeTask = (t: Pick<TaskStatus, 'index' | 'name'>) => `task ${t.index} (${t.name})`;

/** The task an argument names: its index, else its name (exactly, then ignoring case). */
export function findTask(tasks: readonly TaskStatus[], ref: string): TaskStatus {
  const known = tasks.length
    ? `the tasks are ${tasks.map((t) => `${t.index} ${t.name}`).join(', ')}`
    : 'this workspace has no tasks';
  if (/^\d+$/.test(ref)) {
    const task = tasks.find((t) => t.index === Number(ref));
    if (!task) throw new CliError(`no task ${ref}: ${known}`, 2);
    return task;
  }
  let named = tasks.filter((t) => t.name === ref);
  if (named.length === 0) named = tasks.filter((t) => t.name.toLowerCase() === ref.toLowerCase());
  if (named.length === 1 && named[0]) return named[0];
  if (named.length === 0) throw new CliError(`no task named '${ref}': ${known}`, 2);
  throw new CliError(
    `${named.length} tasks are named '${ref}': give the index (${named.map((t) => t.index).join(', ')})`,
    2,
  );
}

/** The rows of `gp tasks list`. */
export function taskRows(tasks: readonly TaskStatus[]): string[][] {
  return tasks.map((t) => [
    String(t.index),
    t.name,
    t.state === 'exited' && t.exitCode !== null ? `exited (${t.exitCode})` : t.state,
    t.alias ?? '-',
  ]);
}
