// `gp validate`: checks the workspace's configuration file with the server's own parsers and prints
// every problem as file:line:column: key.path: message.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import {
  AppError,
  configCandidates,
  GITPOD_YML,
  isAppError,
  loadWorkspaceConfig,
  parseDevcontainer,
  parseGitpodYml,
  type WorkspaceConfig,
} from '@atelier/protocol';
import { CliError, type Command, expectArgs, parseFlags, print, say } from './cli.js';
import type { GpContext } from './context.js';

/** The checkout: GITPOD_REPO_ROOT in a workspace, else the current folder. */
export function repoRoot(ctx: GpContext): string {
  return ctx.env.GITPOD_REPO_ROOT || ctx.cwd;
}

/** The files of `root` that may configure a workspace (repository-relative path → text). */
export function configFiles(root: string): Map<string, string> {
  const paths = [GITPOD_YML, '.devcontainer/devcontainer.json', '.devcontainer.json'];
  const folder = join(root, '.devcontainer');
  if (existsSync(folder) && statSync(folder).isDirectory()) {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) paths.push(`.devcontainer/${entry.name}/devcontainer.json`);
    }
  }
  const present = paths.filter((p) => existsSync(join(root, p)) && statSync(join(root, p)).isFile());
  return new Map(configCandidates(present).map((p) => [p, readFileSync(join(root, p), 'utf8')]));
}

/** Parses one file by its kind: YAML for .gitpod.yml (and any .yml/.yaml), JSON(C) otherwise. */
export function parseConfigFile(name: string, text: string): WorkspaceConfig {
  return /\.ya?ml$/i.test(name) ? parseGitpodYml(text, name) : parseDevcontainer(text, name);
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** `✔ .gitpod.yml is valid (3 tasks, 2 ports)` */
export function validMessage(file: string, config: WorkspaceConfig): string {
  return `✔ ${file} is valid (${plural(config.tasks.length, 'task')}, ${plural(config.ports.length, 'port')})`;
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check .gitpod.yml (or devcontainer.json) the way the server reads it',
  usage: ['gp validate [file]'],
  help: [
    'Without a file: the configuration file of the checkout ($GITPOD_REPO_ROOT, else the current folder),',
    'chosen as the server does: .gitpod.yml, else .devcontainer/devcontainer.json, .devcontainer.json.',
    'Prints every problem as file:line:column: key.path: message (exit 2), or a ✔ line (exit 0).',
    "Unlike Gitpod's gp validate it does not start a debug workspace: restart the workspace (or start",
    'a new one) to try the configuration for real.',
  ].join('\n'),
  async run(args, ctx) {
    const { positionals } = parseFlags(validateCommand, args, {});
    expectArgs(positionals, validateCommand.usage, 0, 1);
    const root = repoRoot(ctx);
    const given = positionals[0];
    try {
      if (given !== undefined) {
        const { name, text } = readGiven(ctx, root, given);
        print(ctx, validMessage(name, parseConfigFile(name, text)));
        return 0;
      }
      const files = configFiles(root);
      const config = loadWorkspaceConfig(files);
      if (config.origin === 'default' || !config.file) {
        throw new CliError(
          `no .gitpod.yml or devcontainer.json in ${root}: gp init writes a starter .gitpod.yml`,
        );
      }
      for (const w of config.warnings) say(ctx, `warning: ${w.message}`);
      print(ctx, validMessage(config.file, config));
      return 0;
    } catch (e) {
      if (!isAppError(e) || e.code !== 'invalid_argument' || !e.details) throw e;
      for (const problem of e.details) ctx.stderr.write(`${problem}\n`);
      say(ctx, `${plural(e.details.length, 'problem')} found`);
      return 2;
    }
  },
};

/** A file named on the command line: its name relative to the checkout when inside it, and its text. */
function readGiven(ctx: GpContext, root: string, given: string): { name: string; text: string } {
  const path = resolve(ctx.cwd, given);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new CliError(`${given}: no such file`, 2);
  }
  const inside = relative(root, path);
  const name = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : basename(path);
  try {
    return { name, text: readFileSync(path, 'utf8') };
  } catch (e) {
    throw new AppError('failed_precondition', `cannot read ${given}: ${(e as Error).message}`);
  }
}
