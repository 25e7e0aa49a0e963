// `gp env`: print the owner's variables for this workspace, save or delete them on the server (scope repo
// = owner/repo, user = */**), and `-e` lines that `eval "$(gp env -e …)"` applies to the current shell.
import {
  envNameProblem,
  envValueProblem,
  userEnvNameProblem,
  userEnvVarSchema,
  type WorkspaceInfo,
} from '@atelier/protocol';
import { z } from 'zod';
import { CliError, type Command, parseFlags, print, say, UsageError } from './cli.js';
import { type GpContext, workspaceId } from './context.js';

export type EnvScope = 'repo' | 'user';
export const USER_SCOPE_PATTERN = '*/**';

/** GET workspaces/<id>/env-vars: the owner's variables that apply to this workspace, with values. */
export const workspaceEnvVarsSchema = z.object({
  variables: z.array(z.object({ name: z.string(), value: z.string(), repositoryPattern: z.string() })),
});

/** GET user/env-vars: the server answers a bare array; `{variables}` is accepted as well. */
export const userEnvVarListSchema = z
  .union([z.array(userEnvVarSchema), z.object({ variables: z.array(userEnvVarSchema) })])
  .transform((v) => (Array.isArray(v) ? v : v.variables));

/** A value in single quotes for sh/bash/zsh: nothing inside is expanded; `'` becomes `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export const exportLine = (name: string, value: string) => `export ${name}=${shellQuote(value)}`;

/** `NAME=value` (the value may hold `=` and anything else but NUL), checked as the server would. */
export function parseAssignment(arg: string, usage: readonly string[]): { name: string; value: string } {
  const eq = arg.indexOf('=');
  if (eq === -1) {
    throw new UsageError(
      `'${arg}' has no '=': write ${arg || 'NAME'}=value to set it, or gp env -u ${arg || 'NAME'} to delete it`,
      usage,
    );
  }
  const name = arg.slice(0, eq);
  const value = arg.slice(eq + 1);
  const problem = userEnvNameProblem(name);
  if (problem) throw new UsageError(problem, usage);
  if (value === '') throw new UsageError(`${name} has no value: gp env -u ${name} deletes a variable`, usage);
  const valueProblem = envValueProblem(value);
  if (valueProblem) throw new UsageError(`${name}: ${valueProblem}`, usage);
  return { name, value };
}

/** The repository pattern of a scope: `owner/repo` of this workspace (lower case), or every repository. */
export function scopePattern(info: Pick<WorkspaceInfo, 'repository'>, scope: EnvScope): string {
  if (scope === 'user') return USER_SCOPE_PATTERN;
  const repo = info.repository;
  if (!repo?.owner) {
    const what = repo
      ? `this workspace's repository (${repo.cloneUrl}) has no owner/name`
      : 'this workspace has no repository';
    throw new CliError(
      `${what}, so there is no repo scope: use -s user to set it for all your workspaces`,
      2,
    );
  }
  return `${repo.owner}/${repo.name}`.toLowerCase();
}

export const envCommand: Command = {
  name: 'env',
  summary: 'print or save your environment variables for this repository',
  usage: ['gp env [-e] [-s repo|user] [NAME=value ...]', 'gp env -u [-e] [-s repo|user] NAME ...'],
  help: [
    "Without arguments: prints the variables this workspace's repository gets, NAME=value per line.",
    'With NAME=value: saves them on the server for this repository (or, with -s user, for all your',
    'repositories); workspaces started from now on get them; this one does not (eval the -e output to set them in the current shell):',
    '  eval "$(gp env -e FOO=bar)"    save FOO and set it here',
    '  eval "$(gp env -e)"            set every saved variable in this shell',
    '',
    'Flags:',
    "  -e, --export          print `export NAME='value'` lines (and `unset NAME` with -u) for eval",
    '  -u, --unset           delete the named variables of this scope',
    '  -s, --scope <scope>   repo: this repository, owner/repo (default); user: every repository, */**',
  ].join('\n'),
  async run(args, ctx) {
    const { values, positionals } = parseFlags(envCommand, args, {
      export: { type: 'boolean', short: 'e' },
      unset: { type: 'boolean', short: 'u' },
      scope: { type: 'string', short: 's', default: 'repo' },
    });
    const scope = values.scope;
    if (scope !== 'repo' && scope !== 'user') {
      throw new UsageError(`--scope is repo or user, not '${scope}'`, envCommand.usage);
    }
    const exporting = values.export === true;
    if (values.unset) {
      if (positionals.length === 0)
        throw new UsageError('give the names of the variables to delete', envCommand.usage);
      return unsetVars(ctx, positionals, scope, exporting);
    }
    if (positionals.length === 0) return printVars(ctx, exporting);
    return setVars(ctx, positionals, scope, exporting);
  },
};

async function printVars(ctx: GpContext, exporting: boolean): Promise<number> {
  const [server, id] = await Promise.all([ctx.server(), workspaceId(ctx)]);
  const { variables } = await server.json('GET', `workspaces/${id}/env-vars`, workspaceEnvVarsSchema);
  for (const v of variables) print(ctx, exporting ? exportLine(v.name, v.value) : `${v.name}=${v.value}`);
  return 0;
}

async function setVars(ctx: GpContext, args: string[], scope: EnvScope, exporting: boolean): Promise<number> {
  const assignments = args.map((a) => parseAssignment(a, envCommand.usage));
  const repositoryPattern = scopePattern(await ctx.api.info(), scope);
  const server = await ctx.server();
  for (const { name, value } of assignments) {
    await server.send('PUT', 'user/env-vars', { name, value, repositoryPattern });
    if (exporting) print(ctx, exportLine(name, value));
  }
  const names = assignments.map((a) => a.name).join(', ');
  const here = exporting
    ? ''
    : `; this shell gets ${assignments.length === 1 ? 'it' : 'them'} with eval "$(gp env -e)"`;
  say(
    ctx,
    `saved ${names} for ${repositoryPattern}: workspaces started from now on get ${assignments.length === 1 ? 'it' : 'them'}${here}`,
  );
  return 0;
}

async function unsetVars(
  ctx: GpContext,
  names: string[],
  scope: EnvScope,
  exporting: boolean,
): Promise<number> {
  for (const name of names) {
    const problem = envNameProblem(name);
    if (problem) throw new UsageError(problem, envCommand.usage);
  }
  const repositoryPattern = scopePattern(await ctx.api.info(), scope);
  const server = await ctx.server();
  const all = await server.json('GET', 'user/env-vars', userEnvVarListSchema);
  for (const name of names) {
    const match = all.find((v) => v.name === name && v.repositoryPattern === repositoryPattern);
    if (exporting) print(ctx, `unset ${name}`);
    if (!match) {
      const elsewhere = all.filter((v) => v.name === name).map((v) => v.repositoryPattern);
      const hint = elsewhere.length ? ` (it is set for ${elsewhere.join(', ')})` : '';
      say(ctx, `${name} is not set for ${repositoryPattern}: nothing to delete${hint}`);
      continue;
    }
    await server.send('DELETE', `user/env-vars/${encodeURIComponent(match.id)}`);
    say(ctx, `deleted ${name} for ${repositoryPattern}`);
  }
  return 0;
}
