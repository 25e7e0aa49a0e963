// `gp tasks list|attach|stop`: the workspace's tasks as the supervisor runs them (GET /v1/tasks), and
// hanging up a task's terminal.
import { workspaceApiPaths } from '@atelier/protocol';
import {
  type Command,
  expectArgs,
  parseFlags,
  print,
  printJson,
  renderTable,
  say,
  UsageError,
} from './cli.js';
import { attachCommand } from './task-attach.js';
import { describeTask, findTask, listTasks, taskRows } from './task-status.js';

const listCommand: Command = {
  name: 'list',
  summary: "list the workspace's tasks with their state and terminal",
  usage: ['gp tasks list [--json]'],
  help: 'Flags:\n  --json   print the tasks as a JSON array',
  async run(args, ctx) {
    const { values, positionals } = parseFlags(listCommand, args, { json: { type: 'boolean' } });
    expectArgs(positionals, listCommand.usage, 0);
    const tasks = await listTasks(ctx);
    if (values.json) printJson(ctx, tasks);
    else if (tasks.length === 0) say(ctx, 'this workspace has no tasks (.gitpod.yml configures them)');
    else ctx.stdout.write(renderTable(['INDEX', 'NAME', 'STATE', 'TERMINAL'], taskRows(tasks)));
    return 0;
  },
};

const stopCommand: Command = {
  name: 'stop',
  summary: 'stop a task: hang up its terminal (its processes get SIGHUP)',
  usage: ['gp tasks stop <index|name> ...', 'gp tasks stop --all'],
  help: 'Flags:\n  --all   stop every running task',
  async run(args, ctx) {
    const { values, positionals } = parseFlags(stopCommand, args, { all: { type: 'boolean' } });
    if (values.all && positionals.length > 0) {
      throw new UsageError('give task indexes or names, or --all, not both', stopCommand.usage);
    }
    if (!values.all) expectArgs(positionals, stopCommand.usage, 1, Number.POSITIVE_INFINITY);
    const tasks = await listTasks(ctx);
    const chosen = values.all
      ? tasks.filter((t) => t.state === 'running')
      : positionals.map((p) => findTask(tasks, p));
    if (values.all && chosen.length === 0) {
      say(ctx, 'no task is running');
      return 0;
    }
    for (const task of chosen) {
      if (task.state === 'exited') {
        say(ctx, `${describeTask(task)} has already ended`);
        continue;
      }
      await ctx.api.send('POST', `${workspaceApiPaths.task}/${task.index}/stop`);
      print(ctx, `stopped ${describeTask(task)}`);
    }
    return 0;
  },
};

export const tasksCommand: Command = {
  name: 'tasks',
  summary: "list the workspace's tasks, attach to one's terminal, stop them",
  usage: ['gp tasks <command> [arguments]'],
  subcommands: [listCommand, attachCommand, stopCommand],
};
