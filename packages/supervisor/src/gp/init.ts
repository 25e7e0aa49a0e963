// `gp init`: writes a starter .gitpod.yml in the checkout, with a commented example task and port.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GITPOD_YML } from '@atelier/protocol';
import { CliError, type Command, expectArgs, parseFlags, print, say } from './cli.js';
import { repoRoot } from './validate.js';

export const STARTER_GITPOD_YML = `# Configures the workspaces of this repository (Gitpod's .gitpod.yml format).
# Reference: https://www.gitpod.io/docs/references/gitpod-yml — check this file with: gp validate

# The image workspaces run in; without it, the installation's default image.
# image: node:20
# or build one from a Dockerfile of this repository:
# image:
#   file: .gitpod.Dockerfile

# Commands run in terminals when a workspace starts: init once, when the workspace is created;
# command on every start (it may run forever, e.g. a dev server).
tasks:
  - name: App
    init: echo 'install dependencies here, e.g. npm install'
    command: echo 'start the app here, e.g. npm run dev'

# Ports the app listens on: a name, who may open the URL (private: you only; public: anyone
# with it), and what happens when the port opens (notify, open-preview, open-browser, ignore).
ports:
  - name: App
    port: 3000
    visibility: private
    onOpen: notify

# VS Code extensions to install in every workspace:
# vscode:
#   extensions:
#     - dbaeumer.vscode-eslint
`;

export const initCommand: Command = {
  name: 'init',
  summary: 'write a starter .gitpod.yml in the checkout',
  usage: ['gp init [--force]'],
  help: [
    'Writes .gitpod.yml in the checkout ($GITPOD_REPO_ROOT, else the current folder) with an example',
    'task and port to adapt. Commit it: every new workspace of the repository then uses it.',
    '',
    'Flags:',
    '  --force   overwrite an existing .gitpod.yml',
  ].join('\n'),
  async run(args, ctx) {
    const { values, positionals } = parseFlags(initCommand, args, { force: { type: 'boolean' } });
    expectArgs(positionals, initCommand.usage, 0);
    const file = join(repoRoot(ctx), GITPOD_YML);
    if (existsSync(file) && !values.force) {
      throw new CliError(`${file} exists already: gp init --force overwrites it`);
    }
    writeFileSync(file, STARTER_GITPOD_YML);
    print(ctx, `wrote ${file}`);
    say(ctx, 'adapt its task and port, check it with gp validate, and commit it');
    return 0;
  },
};
