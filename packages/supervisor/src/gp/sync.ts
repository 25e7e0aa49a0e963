// `gp sync-await` / `gp sync-done`: Gitpod's barrier between tasks — a done-file /tmp/gp-<name>.done that
// one task writes and others wait for (fs.watch, with a poll in case the watch misses it).
import { existsSync, type FSWatcher, watch, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Command, expectArgs, Interrupted, parseFlags, UsageError } from './cli.js';

export const SYNC_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const POLL_MS = 1000;

/** The done-file of a barrier name, after checking the name. */
export function doneFile(dir: string, name: string | undefined, usage: readonly string[]): string {
  if (name === undefined) throw new UsageError('give the name of the event', usage);
  if (!SYNC_NAME.test(name) || name === '.' || name === '..') {
    throw new UsageError(`'${name}' is not an event name: use 1–100 letters, digits, '.', '_' or '-'`, usage);
  }
  return join(dir, `gp-${name}.done`);
}

/** Resolves true once `file` exists, false when `signal` is aborted first. */
export function awaitFile(file: string, signal: AbortSignal, pollMs = POLL_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (done: boolean) => {
      watcher?.close();
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(done);
    };
    const check = () => {
      if (existsSync(file)) finish(true);
    };
    const onAbort = () => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      watcher = watch(dirname(file), check);
      // a watch that fails later (the folder went away): the poll still sees the file
      watcher.on('error', () => watcher?.close());
    } catch {
      // no watch on this folder (missing, or a file system without inotify): the poll does the work
    }
    timer = setInterval(check, pollMs);
    if (signal.aborted) return finish(false);
    check();
  });
}

export const syncAwaitCommand: Command = {
  name: 'sync-await',
  summary: 'wait until `gp sync-done <name>` was called (a barrier between tasks)',
  usage: ['gp sync-await <name>'],
  help: `Returns once /tmp/gp-<name>.done exists, which \`gp sync-done <name>\` writes; at once if it does already.
Example (.gitpod.yml): one task runs \`npm install && gp sync-done deps\`, another \`gp sync-await deps && npm test\`.`,
  async run(args, ctx) {
    const { positionals } = parseFlags(syncAwaitCommand, args, {});
    expectArgs(positionals, syncAwaitCommand.usage, 1);
    const file = doneFile(ctx.syncDir, positionals[0], syncAwaitCommand.usage);
    if (!(await awaitFile(file, ctx.signal))) throw new Interrupted();
    return 0;
  },
};

export const syncDoneCommand: Command = {
  name: 'sync-done',
  summary: 'mark an event as done for `gp sync-await <name>`',
  usage: ['gp sync-done <name>'],
  help: 'Writes /tmp/gp-<name>.done; every `gp sync-await <name>`, now or later, returns.',
  async run(args, ctx) {
    const { positionals } = parseFlags(syncDoneCommand, args, {});
    expectArgs(positionals, syncDoneCommand.usage, 1);
    writeFileSync(doneFile(ctx.syncDir, positionals[0], syncDoneCommand.usage), '');
    return 0;
  },
};
