// `gp timeout show|set|extend` and `gp stop`: the workspace's inactivity time-out and its stop, on the server.
import { type WorkspaceTimeoutDto, workspaceTimeoutSchema } from '@atelier/protocol';
import { type Command, expectArgs, parseFlags, print, printJson, UsageError } from './cli.js';
import { type GpContext, workspaceId } from './context.js';

/** Go's duration syntax, as the server takes it (`30m`, `3h`, `1h30m`). */
export const GO_DURATION = /^(\d+(ns|us|µs|ms|s|m|h))+$/;
/** What `gp timeout extend` sets: Gitpod's extended time-out. */
export const EXTENDED_TIMEOUT = '180m';

const SOURCES: Record<WorkspaceTimeoutDto['source'], string> = {
  default: "the installation's default",
  user: 'your preference',
  workspace: 'set for this workspace',
};

/** `30m (the installation's default); the workspace stops after 30m without activity` */
export function describeTimeout(t: WorkspaceTimeoutDto): string {
  const fixed = t.userTimeoutsAllowed ? '' : '; the administrator does not let users change it';
  return `${t.inactivity} (${SOURCES[t.source]}); the workspace stops after ${t.inactivity} without activity${fixed}`;
}

async function timeoutPath(ctx: GpContext): Promise<string> {
  return `workspaces/${await workspaceId(ctx)}/timeout`;
}

async function putTimeout(ctx: GpContext, timeout: string): Promise<WorkspaceTimeoutDto> {
  const [server, path] = await Promise.all([ctx.server(), timeoutPath(ctx)]);
  return server.json('PUT', path, workspaceTimeoutSchema, { timeout });
}

const showCommand: Command = {
  name: 'show',
  summary: "show the workspace's inactivity time-out",
  usage: ['gp timeout show [--json]'],
  help: 'Flags:\n  --json   print the time-out as JSON (milliseconds, source, limits)',
  async run(args, ctx) {
    const { values, positionals } = parseFlags(showCommand, args, { json: { type: 'boolean' } });
    expectArgs(positionals, showCommand.usage, 0);
    const [server, path] = await Promise.all([ctx.server(), timeoutPath(ctx)]);
    const timeout = await server.json('GET', path, workspaceTimeoutSchema);
    if (values.json) printJson(ctx, timeout);
    else print(ctx, describeTimeout(timeout));
    return 0;
  },
};

const setCommand: Command = {
  name: 'set',
  summary: 'set the inactivity time-out of this workspace (at most 24h)',
  usage: ['gp timeout set <duration>'],
  help: 'The duration is written as in Go: 30m, 3h, 1h30m (units ns, us, ms, s, m, h).',
  async run(args, ctx) {
    const { positionals } = parseFlags(setCommand, args, {});
    expectArgs(positionals, setCommand.usage, 1);
    const duration = positionals[0] ?? '';
    if (!GO_DURATION.test(duration)) {
      throw new UsageError(`'${duration}' is not a duration: write e.g. 30m, 3h or 1h30m`, setCommand.usage);
    }
    const timeout = await putTimeout(ctx, duration);
    print(ctx, `the workspace now stops after ${timeout.inactivity} without activity`);
    return 0;
  },
};

const extendCommand: Command = {
  name: 'extend',
  summary: `extend the inactivity time-out to ${EXTENDED_TIMEOUT} (3h)`,
  usage: ['gp timeout extend'],
  async run(args, ctx) {
    const { positionals } = parseFlags(extendCommand, args, {});
    expectArgs(positionals, extendCommand.usage, 0);
    const timeout = await putTimeout(ctx, EXTENDED_TIMEOUT);
    print(ctx, `time-out extended: the workspace now stops after ${timeout.inactivity} without activity`);
    return 0;
  },
};

export const timeoutCommand: Command = {
  name: 'timeout',
  summary: "show, set or extend the workspace's inactivity time-out",
  usage: ['gp timeout <command> [arguments]'],
  subcommands: [showCommand, setCommand, extendCommand],
};

export const stopCommand: Command = {
  name: 'stop',
  summary: 'stop this workspace (its /workspace is saved first)',
  usage: ['gp stop'],
  async run(args, ctx) {
    const { positionals } = parseFlags(stopCommand, args, {});
    expectArgs(positionals, stopCommand.usage, 0);
    const [server, id] = await Promise.all([ctx.server(), workspaceId(ctx)]);
    await server.send('POST', `workspaces/${id}/stop`);
    print(ctx, `stopping workspace ${id}; its /workspace is saved first`);
    return 0;
  },
};
