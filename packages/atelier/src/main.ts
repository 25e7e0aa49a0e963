// The atelier command line: parses the command, runs it, maps errors to one line and an exit code.
import { AppError, exitCodeOf, isAppError } from '@atelier/protocol';
import { runAdmin } from './commands/admin.js';
import { runConfig } from './commands/config.js';
import { ideCommand } from './commands/ide.js';
import { runSshConfig } from './commands/ssh-config.js';
import { runUp } from './commands/up.js';
import { runWorkspace } from './commands/workspace.js';

export const USAGE = `usage: atelier <command> [options]

  up [--config FILE] [--data-dir DIR] [--port N] [--domain D]   start everything in one process
  run --target=all [--config FILE]                                 start the named components
  config validate FILE                                             list every problem of a config file
  admin user create --name N --password P [--admin]                create a local account
  admin token create --user N [--name NAME]                        print a new access token for N
  workspace list | create URL [--ref REF] | start ID | stop ID | delete ID   [--wait] [--json]
  ssh-config [ID...]                                               ~/.ssh/config blocks for your workspaces
  ide install [--dir DIR] [--json]                                 install VS Code for the browser once (default DIR: <data dir>/ide)
      (these two talk to the API: --url URL or ATELIER_URL, --token T or ATELIER_TOKEN)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return runUp(rest, { targets: 'all' });
    case 'run':
      return runUp(rest, { targets: 'from-flags' });
    case 'config':
      return runConfig(rest);
    case 'admin':
      return runAdmin(rest);
    case 'workspace':
    case 'ws':
      return runWorkspace(rest);
    case 'ide':
      return ideCommand(rest);
    case 'ssh-config':
      return runSshConfig(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new AppError('invalid_argument', `unknown command "${command}" — run atelier --help`);
  }
}

function report(e: unknown): number {
  if (isAppError(e)) {
    process.stderr.write(`atelier: ${e.message}\n`);
    for (const d of e.details ?? []) process.stderr.write(`  - ${d}\n`);
    return exitCodeOf(e.code);
  }
  const code = (e as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`atelier: ${(e as Error).message} — run atelier --help\n`);
    return 2;
  }
  process.stderr.write(`atelier: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e);
  },
);
