// What every gp command gets: the supervisor's API, the Atelier server, the standard streams, cwd,
// environment, a signal for Ctrl-C — so a test can run a command against local servers and buffers.
import { WORKSPACE_API_ENV, WORKSPACE_API_PORT } from '@atelier/protocol';
import { ServerClient } from '../server/server-client.js';
import { WorkspaceApiClient } from './workspace-api.js';

/** stdout/stderr as gp uses them; a TTY's stdout also has a size and emits 'resize'. */
export type OutStream = NodeJS.WritableStream & { columns?: number; rows?: number };
/** stdin; a TTY's can be put in raw mode. */
export type InStream = NodeJS.ReadableStream & { setRawMode?: (raw: boolean) => unknown };

export interface GpContext {
  /** the supervisor's in-workspace API */
  api: WorkspaceApiClient;
  /** the Atelier server as this workspace (its scoped token, fetched from the supervisor once) */
  server(): Promise<ServerClient>;
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** stdin and stdout are a terminal: gp may ask questions and use raw mode */
  isTTY: boolean;
  /** the folder of `gp sync-done` files (/tmp) */
  syncDir: string;
  /** aborted by Ctrl-C or SIGTERM: commands that wait or serve end then */
  signal: AbortSignal;
}

export const DEFAULT_API_URL = `http://127.0.0.1:${WORKSPACE_API_PORT}`;

export interface ContextParts extends Omit<GpContext, 'api' | 'server'> {
  apiUrl: string;
}

/** A context whose server() asks the supervisor for the server's address and token on first use. */
export function createContext(parts: ContextParts): GpContext {
  const { apiUrl, ...rest } = parts;
  const api = new WorkspaceApiClient(apiUrl);
  let server: Promise<ServerClient> | undefined;
  return {
    ...rest,
    api,
    server: () => {
      server ??= api.serverAccess().then((access) => new ServerClient(access));
      return server;
    },
  };
}

/** The context of the gp process: its streams, cwd and environment; Ctrl-C aborts `signal`. */
export function processContext(signal: AbortSignal): GpContext {
  return createContext({
    apiUrl: process.env[WORKSPACE_API_ENV] || DEFAULT_API_URL,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    syncDir: '/tmp',
    signal,
  });
}

/** The workspace's id, for the server's `workspaces/<id>/…` paths. */
export async function workspaceId(ctx: GpContext): Promise<string> {
  return (await ctx.api.info()).workspaceId;
}
