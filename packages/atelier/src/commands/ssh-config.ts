// `atelier ssh-config`: a ~/.ssh/config block for each of the caller's workspaces (or the ones
// named), so that `ssh <workspace id>`, scp, sftp and VS Code's Remote-SSH reach them through the
// gateway with one of the caller's SSH keys.
import { AppError, type WorkspaceDto, workspaceIdSchema, workspaceSchema } from '@atelier/protocol';
import { z } from 'zod';
import { parseFlags } from './flags.js';
import { apiFrom, call } from './workspace.js';

const flagsSchema = z.object({ url: z.string().url().optional(), token: z.string().optional() });

export async function runSshConfig(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { url: { type: 'string' }, token: { type: 'string' } },
    flagsSchema,
    Number.POSITIVE_INFINITY,
  );
  for (const id of positionals) {
    if (!workspaceIdSchema.safeParse(id).success)
      throw new AppError(
        'invalid_argument',
        `"${id}" is not a workspace id (atelier workspace list shows them)`,
      );
  }
  const api = apiFrom(values);
  const all = z.array(workspaceSchema).parse(await call(api, 'GET', '/api/v1/workspaces'));
  const missing = positionals.filter((id) => !all.some((w) => w.id === id));
  if (missing.length > 0)
    throw new AppError('not_found', `no workspace ${missing.join(', ')} of yours at ${api.base}`);
  const chosen = positionals.length > 0 ? all.filter((w) => positionals.includes(w.id)) : all;
  process.stdout.write(sshConfig(api.base, chosen));
  return 0;
}

/** The config text: a header that says how to use it, then one Host block per workspace. */
export function sshConfig(base: string, workspaces: WorkspaceDto[]): string {
  const reachable = workspaces.filter((w) => w.ssh);
  if (workspaces.length > 0 && reachable.length === 0)
    throw new AppError('failed_precondition', `the SSH gateway of ${base} is off (config: ssh.enabled)`);
  const lines = [
    `# Atelier workspaces at ${base}, written by \`atelier ssh-config\`.`,
    '# Append to ~/.ssh/config (atelier ssh-config >> ~/.ssh/config), then: ssh <workspace id>.',
    '# The gateway lets you in with one of the SSH keys you added in the dashboard (SSH keys).',
  ];
  for (const w of reachable) {
    const ssh = w.ssh as NonNullable<WorkspaceDto['ssh']>;
    lines.push('', `Host ${w.id}`, `  HostName ${ssh.host}`, `  Port ${ssh.port}`, `  User ${ssh.user}`);
  }
  if (reachable.length === 0) lines.push('# (you have no workspaces yet)');
  return `${lines.join('\n')}\n`;
}
