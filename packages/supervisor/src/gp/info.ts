// `gp url` and `gp info`: the workspace's URLs, ids, repository, IDE and SSH command, from GET /v1/info.
import type { WorkspaceInfo } from '@atelier/protocol';
import { type Command, expectArgs, parseFlags, parsePort, print, printJson } from './cli.js';

/** The URL of a port of the workspace, from the info's template. */
export function portUrl(info: Pick<WorkspaceInfo, 'portUrlTemplate'>, port: number): string {
  return info.portUrlTemplate.replaceAll('{port}', String(port));
}

/** `ssh user@host [-p port]`, or undefined when the workspace has no SSH access. */
export function sshCommand(info: Pick<WorkspaceInfo, 'ssh'>): string | undefined {
  if (!info.ssh) return undefined;
  const { user, host, port } = info.ssh;
  return `ssh ${user}@${host}${port === 22 ? '' : ` -p ${port}`}`;
}

export const urlCommand: Command = {
  name: 'url',
  summary: "print the workspace's URL, or the URL of one of its ports",
  usage: ['gp url [port]'],
  help: 'Examples:\n  gp url          https://<workspace>.ws.<domain>\n  gp url 3000     the URL through which port 3000 is reached',
  async run(args, ctx) {
    const { positionals } = parseFlags(urlCommand, args, {});
    expectArgs(positionals, urlCommand.usage, 0, 1);
    const port = positionals[0] === undefined ? undefined : parsePort(positionals[0], urlCommand.usage);
    const info = await ctx.api.info();
    print(ctx, port === undefined ? info.workspaceUrl : portUrl(info, port));
    return 0;
  },
};

/** The rows of `gp info`, label and value. */
export function infoRows(info: WorkspaceInfo): [string, string][] {
  const repo = info.repository;
  const repository = repo
    ? `${repo.owner ? `${repo.owner}/${repo.name}` : repo.name} (${repo.cloneUrl})`
    : '(none: an empty workspace)';
  return [
    ['Workspace ID', info.workspaceId],
    ['Instance ID', info.instanceId],
    ['Workspace URL', info.workspaceUrl],
    ['Port URLs', info.portUrlTemplate.replaceAll('{port}', '<port>')],
    ['Dashboard', info.dashboardUrl],
    ['Context URL', info.contextUrl],
    ['Repository', repository],
    ['Checkout', info.checkoutLocation],
    ['Opens', info.workspaceLocation],
    ['IDE', info.ide],
    ['SSH', sshCommand(info) ?? '(the SSH gateway is off)'],
  ];
}

export const infoCommand: Command = {
  name: 'info',
  summary: "show this workspace's ids, URLs, repository, IDE and SSH command",
  usage: ['gp info [--json]'],
  help: 'Flags:\n  --json   print the information as JSON (with sshCommand)',
  async run(args, ctx) {
    const { values, positionals } = parseFlags(infoCommand, args, { json: { type: 'boolean' } });
    expectArgs(positionals, infoCommand.usage, 0);
    const info = await ctx.api.info();
    if (values.json) {
      printJson(ctx, { ...info, sshCommand: sshCommand(info) ?? null });
      return 0;
    }
    const rows = infoRows(info);
    const width = Math.max(...rows.map(([label]) => label.length));
    for (const [label, value] of rows) print(ctx, `${label.padEnd(width)}  ${value}`);
    return 0;
  },
};
