// `gp credential-helper get|store|erase`: git's credential helper (git calls it, set through
// GIT_CONFIG_* by the supervisor). For `get` it asks the Atelier API for the workspace owner's token
// of that SCM host and prints it in git's credential format; nothing is written to disk.
import { gitCredentialsSchema } from '@atelier/protocol';
import type { Command } from './cli.js';
import { type GpContext, workspaceId } from './context.js';

/** git's credential input: key=value lines up to an empty line or the end. */
export function parseCredentialInput(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') break;
    const eq = line.indexOf('=');
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1).replace(/\r$/, '');
  }
  return fields;
}

async function readAll(ctx: GpContext): Promise<string> {
  let text = '';
  for await (const chunk of ctx.stdin as AsyncIterable<Buffer | string>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (/\n\s*\n/.test(text) || text.length > 64 * 1024) break;
  }
  return text;
}

export const credentialHelperCommand: Command = {
  name: 'credential-helper',
  summary: "git's credential helper: hands git the workspace owner's token for the SCM (git calls it)",
  usage: ['gp credential-helper get|store|erase'],
  hidden: true,
  async run(args, ctx) {
    // store and erase: the token lives on the server, nothing to keep here
    if (args[0] !== 'get') return 0;
    const input = parseCredentialInput(await readAll(ctx));
    if (input.protocol !== 'https' && input.protocol !== 'http') return 0;
    if (!input.host) return 0;
    try {
      const [server, id] = await Promise.all([ctx.server(), workspaceId(ctx)]);
      const credentials = await server.json(
        'GET',
        `workspaces/${id}/git-credentials?host=${encodeURIComponent(input.host)}`,
        gitCredentialsSchema,
      );
      ctx.stdout.write(`username=${credentials.username}\npassword=${credentials.password}\n`);
    } catch (e) {
      // git goes on without (asks another helper or fails with its own message); say why once
      ctx.stderr.write(
        `gp: no credentials for ${input.host}: ${e instanceof Error ? e.message : String(e)}\n`,
      );
    }
    return 0;
  },
};
