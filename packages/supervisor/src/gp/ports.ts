// `gp ports list|await|visibility|expose`: the workspace's ports from the supervisor, waiting for one to
// be served, making one public or private on the server, and a loopback port reachable on 0.0.0.0.
import {
  type PortDto,
  parseDuration,
  portAwaitResponseSchema,
  portSchema,
  workspaceApiPaths,
  workspacePortsSchema,
} from '@atelier/protocol';
import {
  CliError,
  type Command,
  expectArgs,
  parseFlags,
  parsePort,
  print,
  printJson,
  renderTable,
  say,
  UsageError,
} from './cli.js';
import { type GpContext, workspaceId } from './context.js';
import { exposeCommand } from './port-expose.js';
import { errorOf } from './workspace-api.js';

/** The rows of `gp ports list`, by port number. */
export function portRows(ports: readonly PortDto[]): string[][] {
  return [...ports]
    .sort((a, b) => a.port - b.port)
    .map((p) => [String(p.port), p.served ? 'served' : 'not served', p.visibility, p.url, p.name ?? '']);
}

const listCommand: Command = {
  name: 'list',
  summary: 'list the configured and the served ports with their visibility and URL',
  usage: ['gp ports list [--json]'],
  help: 'Flags:\n  --json   print the ports as a JSON array',
  async run(args, ctx) {
    const { values, positionals } = parseFlags(listCommand, args, { json: { type: 'boolean' } });
    expectArgs(positionals, listCommand.usage, 0);
    const { ports } = await ctx.api.json('GET', workspaceApiPaths.ports, workspacePortsSchema);
    if (values.json) printJson(ctx, ports);
    else if (ports.length === 0)
      say(ctx, 'no ports: none is configured in .gitpod.yml and nothing listens in the workspace yet');
    else ctx.stdout.write(renderTable(['PORT', 'STATE', 'VISIBILITY', 'URL', 'NAME'], portRows(ports)));
    return 0;
  },
};

/** How long one await request may wait; the command asks again until its own time is up. */
const AWAIT_CHUNK_MS = 30_000;

const awaitCommand: Command = {
  name: 'await',
  summary: 'wait until something listens on a port',
  usage: ['gp ports await <port> [--timeout <duration>]'],
  help: [
    'Prints "port <port> is served" and exits 0 once a process listens on the port.',
    '',
    'Flags:',
    '  --timeout <duration>   give up after this long (e.g. 60s, 5m; exit 1); default: wait forever',
  ].join('\n'),
  async run(args, ctx) {
    const { values, positionals } = parseFlags(awaitCommand, args, { timeout: { type: 'string' } });
    expectArgs(positionals, awaitCommand.usage, 1);
    const port = parsePort(positionals[0], awaitCommand.usage);
    let deadline = Number.POSITIVE_INFINITY;
    if (values.timeout !== undefined) {
      const ms = parseDuration(values.timeout);
      if (ms === undefined || ms <= 0) {
        throw new UsageError(
          `--timeout '${values.timeout}' is not a duration: write e.g. 60s or 5m`,
          awaitCommand.usage,
        );
      }
      deadline = Date.now() + ms;
    }
    await awaitPort(ctx, port, deadline);
    print(ctx, `port ${port} is served`);
    return 0;
  },
};

/** Asks the supervisor in rounds of at most AWAIT_CHUNK_MS until the port is served or `deadline` passes. */
async function awaitPort(ctx: GpContext, port: number, deadline: number): Promise<void> {
  const path = `${workspaceApiPaths.port}/${port}/await`;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new CliError(`nothing listens on port ${port} yet: gave up waiting`);
    const timeoutMs = Math.max(1, Math.min(Math.ceil(left), AWAIT_CHUNK_MS));
    const answer = await ctx.api.request('GET', `${path}?timeoutMs=${timeoutMs}`, {
      signal: ctx.signal,
      timeoutMs: timeoutMs + 10_000,
    });
    if (answer.status === 200) {
      portAwaitResponseSchema.parse(JSON.parse(answer.text));
      return;
    }
    if (answer.status !== 504) throw errorOf(answer, `GET ${path}`);
  }
}

const VISIBILITY_ARG = /^(\d{1,5}):(private|public)$/;

const visibilityCommand: Command = {
  name: 'visibility',
  summary: 'make a port public (anyone with its URL) or private (you only)',
  usage: ['gp ports visibility <port>:<private|public> ...'],
  help: 'Example:\n  gp ports visibility 3000:public',
  async run(args, ctx) {
    const { positionals } = parseFlags(visibilityCommand, args, {});
    expectArgs(positionals, visibilityCommand.usage, 1, Number.POSITIVE_INFINITY);
    const wanted = positionals.map((arg) => {
      const m = VISIBILITY_ARG.exec(arg);
      if (!m) {
        throw new UsageError(
          `'${arg}' is not <port>:<private|public>, e.g. 3000:public`,
          visibilityCommand.usage,
        );
      }
      return { port: parsePort(m[1], visibilityCommand.usage), visibility: m[2] as 'private' | 'public' };
    });
    const [server, id] = await Promise.all([ctx.server(), workspaceId(ctx)]);
    for (const { port, visibility } of wanted) {
      const dto = await server.json('PUT', `workspaces/${id}/ports/${port}`, portSchema, { visibility });
      print(ctx, `port ${dto.port} is ${dto.visibility}: ${dto.url}`);
    }
    return 0;
  },
};

export const portsCommand: Command = {
  name: 'ports',
  summary: 'list ports, wait for one, make one public or private, expose a loopback port',
  usage: ['gp ports <command> [arguments]'],
  subcommands: [listCommand, awaitCommand, visibilityCommand, exposeCommand],
};

/** Gitpod's old top-level names, still accepted. */
export const awaitPortAlias: Command = { ...awaitCommand, name: 'await-port', hidden: true };
export const forwardPortAlias: Command = { ...exposeCommand, name: 'forward-port', hidden: true };
