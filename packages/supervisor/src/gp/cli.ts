// The pieces of gp's command line every command shares: command specs, help text, strict flag
// parsing, usage errors, "did you mean", aligned tables and port arguments.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { GpContext } from './context.js';

/** A command (`gp url`) or a group of them (`gp ports`, whose subcommands do the work). */
export interface Command {
  name: string;
  /** one line for the list of commands */
  summary: string;
  /** the usage line(s), each starting with `gp ` */
  usage: string[];
  /** what `--help` adds below the usage: paragraphs, flags, examples */
  help?: string;
  /** not listed in `gp --help` (Gitpod's deprecated aliases) */
  hidden?: boolean;
  run?(args: string[], ctx: GpContext): Promise<number>;
  subcommands?: Command[];
}

/** A failure to report as `gp: <message>`, with the exit code it deserves. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Input the user can fix: reported with the command's usage, exit code 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly usage: readonly string[],
  ) {
    super(message, 2);
  }
}

/** Ctrl-C or SIGTERM ended a command that was waiting (exit code 130, as shells report SIGINT). */
export class Interrupted extends CliError {
  constructor() {
    super('interrupted', 130);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, its errors turned into UsageErrors that name the flag. */
export function parseFlags<const O extends Options>(command: Command, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(flagProblem(e), command.usage);
  }
}

function flagProblem(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const missing = /^Option '([^']+)' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  const extra = /^Option '([^']+)' does not take an argument/.exec(message);
  if (extra) return `${extra[1]} takes no value`;
  return message.split('. ')[0] ?? message;
}

/** Whether the arguments ask for help (`-h`/`--help` before any `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '-h' || a === '--help') return true;
  }
  return false;
}

/** The text of `gp <command> --help`. */
export function helpText(command: Command): string {
  const lines = [
    command.summary,
    '',
    ...command.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}${u}`),
  ];
  const visible = (command.subcommands ?? []).filter((c) => !c.hidden);
  if (visible.length > 0) {
    lines.push('', 'commands:');
    const width = Math.max(...visible.map((c) => c.name.length));
    for (const c of visible) lines.push(`  ${c.name.padEnd(width)}   ${c.summary}`);
  }
  if (command.help) lines.push('', command.help.trimEnd());
  const prefix = command.name === 'gp' ? 'gp' : `gp ${command.name}`;
  if (visible.length > 0) lines.push('', `Run '${prefix} <command> --help' for a command's flags.`);
  return `${lines.join('\n')}\n`;
}

/** Edit distance with adjacent transpositions (optimal string alignment): "prots" is 1 from "ports". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.length, b.length);
}

/** The candidate a mistyped name most likely meant, if one is close enough to suggest. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  const prefixed = candidates.filter((c) => c.startsWith(typed) || typed.startsWith(c));
  if (typed.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(typed, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= (typed.length <= 3 ? 1 : 2) ? best : undefined;
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[headers, ...rows].map(line).join('\n')}\n`;
}

/** A TCP port number argument (1–65535). */
export function parsePort(text: string | undefined, usage: readonly string[], what = 'port'): number {
  if (text === undefined) throw new UsageError(`give the ${what}`, usage);
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`'${text}' is not a ${what}: give a number from 1 to 65535`, usage);
  }
  return port;
}

/** Exactly `count` positionals (or between min and max), else a usage error that says what is missing or extra. */
export function expectArgs(
  positionals: readonly string[],
  usage: readonly string[],
  min: number,
  max = min,
): void {
  if (positionals.length < min) throw new UsageError('missing argument', usage);
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument '${positionals[max]}'`, usage);
  }
}

/** A line on stdout (a result). */
export function print(ctx: GpContext, text: string): void {
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A message on stderr, `gp: <message>`. */
export function say(ctx: GpContext, message: string): void {
  ctx.stderr.write(`gp: ${message}\n`);
}

/** Pretty JSON on stdout (`--json`). */
export function printJson(ctx: GpContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
