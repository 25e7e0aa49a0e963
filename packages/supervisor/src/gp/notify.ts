// `gp open` and `gp preview`: ask the IDE window(s) of this workspace to open files or show a URL
// (POST /v1/notify); a URL on localhost becomes the URL of that port of the workspace.
import { resolve } from 'node:path';
import {
  isAppError,
  type Notification,
  notifyResponseSchema,
  type WorkspaceInfo,
  workspaceApiPaths,
} from '@atelier/protocol';
import { CliError, type Command, expectArgs, parseFlags, UsageError } from './cli.js';
import type { GpContext } from './context.js';
import { portUrl } from './info.js';

export const NO_IDE_WINDOW = 'no VS Code window is open for this workspace: open it in the browser first';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '0.0.0.0', '[::1]']);

/** The URL to preview, with http:// when it has no scheme; undefined when it is not an http(s) URL. */
export function parsePreviewUrl(input: string): URL | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  try {
    const url = new URL(withScheme);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The workspace port a localhost URL points at; undefined for any other host. */
export function localPort(url: URL): number | undefined {
  if (!LOCAL_HOSTS.has(url.hostname)) return undefined;
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** A localhost URL as the URL of that port of the workspace (path, query and fragment kept). */
export function workspaceUrlOf(url: URL, port: number, info: Pick<WorkspaceInfo, 'portUrlTemplate'>): string {
  return `${portUrl(info, port).replace(/\/+$/, '')}${url.pathname}${url.search}${url.hash}`;
}

async function notify(ctx: GpContext, notification: Notification): Promise<void> {
  try {
    await ctx.api.json('POST', workspaceApiPaths.notify, notifyResponseSchema, { body: notification });
  } catch (e) {
    if (isAppError(e) && e.code === 'failed_precondition') throw new CliError(NO_IDE_WINDOW, 1);
    throw e;
  }
}

export const openCommand: Command = {
  name: 'open',
  summary: 'open files in the IDE',
  usage: ['gp open <file> ...'],
  help: "Paths are relative to the current folder. The workspace's VS Code window must be open.",
  async run(args, ctx) {
    const { positionals } = parseFlags(openCommand, args, {});
    expectArgs(positionals, openCommand.usage, 1, Number.POSITIVE_INFINITY);
    for (const file of positionals) {
      await notify(ctx, { kind: 'open', path: resolve(ctx.cwd, file), wait: false });
    }
    return 0;
  },
};

export const previewCommand: Command = {
  name: 'preview',
  summary: "show a URL in the IDE's preview (or a browser tab with --external)",
  usage: ['gp preview <url> [--external]'],
  help: [
    'A URL on localhost (http://localhost:3000/docs, or just localhost:3000) becomes the URL of that port',
    "of the workspace. The workspace's VS Code window must be open.",
    '',
    'Flags:',
    "  --external   open it in a new browser tab instead of the IDE's preview",
  ].join('\n'),
  async run(args, ctx) {
    const { values, positionals } = parseFlags(previewCommand, args, { external: { type: 'boolean' } });
    expectArgs(positionals, previewCommand.usage, 1);
    const input = positionals[0] ?? '';
    const url = parsePreviewUrl(input);
    if (!url) {
      throw new UsageError(
        `'${input}' is not a URL: give one such as http://localhost:3000`,
        previewCommand.usage,
      );
    }
    const port = localPort(url);
    const target = port === undefined ? url.toString() : workspaceUrlOf(url, port, await ctx.api.info());
    await notify(ctx, { kind: 'preview', url: target, external: values.external === true });
    return 0;
  },
};
