// gp's dispatcher: finds the command (and subcommand), prints help and versions, and turns every
// error into `gp: <message>` on stderr with its exit code (2 usage, exitCodeOf for AppErrors, 1 else).
import { exitCodeOf, formatIssues, isAppError } from '@atelier/protocol';
import { ZodError } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import { CliError, type Command, closest, helpText, Interrupted, UsageError, wantsHelp } from './cli.js';
import type { GpContext } from './context.js';
import { credentialHelperCommand } from './credential-helper.js';
import { envCommand } from './env.js';
import { infoCommand, urlCommand } from './info.js';
import { initCommand } from './init.js';
import { openCommand, previewCommand } from './notify.js';
import { awaitPortAlias, forwardPortAlias, portsCommand } from './ports.js';
import { syncAwaitCommand, syncDoneCommand } from './sync.js';
import { tasksCommand } from './tasks.js';
import { stopCommand, timeoutCommand } from './timeout.js';
import { validateCommand } from './validate.js';

export const GP_VERSION = packageJson.version;

const versionCommand: Command = {
  name: 'version',
  summary: "print gp's version",
  usage: ['gp version'],
  async run(_args, ctx) {
    ctx.stdout.write(`gp ${GP_VERSION} (Atelier)\n`);
    return 0;
  },
};

const helpCommand: Command = {
  name: 'help',
  summary: 'show the help of gp or of a command',
  usage: ['gp help [command [subcommand]]'],
  async run(args, ctx) {
    return dispatch(rootCommand, [...args, '--help'], ctx);
  },
};

export const rootCommand: Command = {
  name: 'gp',
  summary: "gp — the command line of an Atelier workspace, compatible with Gitpod's gp",
  usage: ['gp <command> [arguments]'],
  help: "Flags:\n  -h, --help      help for gp or a command\n  -v, --version   print gp's version",
  subcommands: [
    credentialHelperCommand,
    infoCommand,
    urlCommand,
    portsCommand,
    tasksCommand,
    envCommand,
    timeoutCommand,
    stopCommand,
    openCommand,
    previewCommand,
    syncAwaitCommand,
    syncDoneCommand,
    initCommand,
    validateCommand,
    versionCommand,
    helpCommand,
    awaitPortAlias,
    forwardPortAlias,
  ],
};

/** Runs gp with its arguments (without `node gp.cjs`); resolves with the exit code, never throws. */
export async function runGp(argv: string[], ctx: GpContext): Promise<number> {
  try {
    if (argv[0] === '-v' || argv[0] === '--version') return await dispatch(rootCommand, ['version'], ctx);
    return await dispatch(rootCommand, argv, ctx);
  } catch (e) {
    return report(ctx, e);
  }
}

/** Walks down the command tree by the first argument; help for groups and `-h` anywhere. */
async function dispatch(command: Command, args: string[], ctx: GpContext): Promise<number> {
  const subcommands = command.subcommands;
  if (!subcommands) {
    if (wantsHelp(args)) return printHelp(ctx, command);
    if (!command.run) throw new Error(`gp ${command.name} has nothing to run`);
    return command.run(args, ctx);
  }
  const [first, ...rest] = args;
  if (first === undefined || first === '-h' || first === '--help') return printHelp(ctx, command);
  const prefix = command === rootCommand ? '' : `${command.name} `;
  if (first.startsWith('-')) throw new UsageError(`unknown flag ${first}`, command.usage);
  const next = subcommands.find((c) => c.name === first);
  if (!next) {
    const guess = closest(
      first,
      subcommands.filter((c) => !c.hidden).map((c) => c.name),
    );
    const hint = guess ? `; did you mean ${prefix}${guess}?` : `; run 'gp ${prefix}--help' for the list`;
    throw new UsageError(`unknown command '${prefix}${first}'${hint}`, command.usage);
  }
  return dispatch(next, rest, ctx);
}

function printHelp(ctx: GpContext, command: Command): number {
  ctx.stdout.write(helpText(command));
  return 0;
}

/** The message and exit code of an error; nothing secret is in any of them (the token never is). */
export function report(ctx: GpContext, e: unknown): number {
  const write = (message: string) => ctx.stderr.write(`gp: ${message}\n`);
  if (e instanceof UsageError) {
    write(e.message);
    ctx.stderr.write(e.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}${u}\n`).join(''));
    return e.exitCode;
  }
  if (e instanceof Interrupted) return e.exitCode;
  if (e instanceof CliError) {
    write(e.message);
    return e.exitCode;
  }
  if (isAppError(e)) {
    write(e.message);
    for (const d of e.details ?? []) if (!e.message.includes(d)) ctx.stderr.write(`  ${d}\n`);
    return exitCodeOf(e.code);
  }
  if (e instanceof ZodError) {
    write(`the workspace answered something this gp does not understand (is gp older than the supervisor?):`);
    for (const issue of formatIssues(e.issues)) ctx.stderr.write(`  ${issue}\n`);
    return 1;
  }
  write(e instanceof Error ? e.message : String(e));
  return 1;
}
