// `atelier ide install`: installs code-server and its Node 24 once (what `atelier up` mounts into
// workspaces), showing npm's progress; a second run finds the install and returns at once.
import { join, resolve } from 'node:path';
import { ensureIde } from '@atelier/ide';
import { AppError } from '@atelier/protocol';
import { z } from 'zod';
import { loadConfig } from '../load-config.js';
import { configFlags, parseFlags } from './flags.js';

const flagsSchema = z.object({
  config: z.string().optional(),
  'data-dir': z.string().min(1).optional(),
  dir: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

const USAGE = 'usage: atelier ide install [--dir DIR] [--json]   (default DIR: <data dir>/ide)';

export async function ideCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'install') throw new AppError('invalid_argument', USAGE);
  const { values } = parseFlags(
    rest,
    { ...configFlags, dir: { type: 'string' }, json: { type: 'boolean' } },
    flagsSchema,
  );
  const dir = values.dir ? resolve(values.dir) : join(await dataDirOf(values), 'ide');

  // Ctrl-C or a kill stops npm and removes the unfinished folder instead of leaving npm running.
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  let ide: Awaited<ReturnType<typeof ensureIde>>;
  try {
    ide = await ensureIde({
      dir,
      signal: abort.signal,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (e) {
    if (abort.signal.aborted) {
      throw new AppError('unavailable', `interrupted; the unfinished install in ${dir} was removed`, [], {
        cause: e,
      });
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (values.json) {
    process.stdout.write(`${JSON.stringify(ide, null, 2)}\n`);
    return 0;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      `code-server ${ide.codeServerVersion} with Node ${ide.nodeVersion}`,
      `  path:    ${ide.root}`,
      `  size:    ${Math.round(ide.bytes / 1e6)} MB`,
      `  seconds: ${seconds} (the install itself took ${Math.round(ide.installMs / 1000)} s)`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function dataDirOf(values: { config?: string | undefined; 'data-dir'?: string | undefined }) {
  const loaded = await loadConfig({
    file: values.config,
    flags: values['data-dir'] ? { dataDir: values['data-dir'] } : {},
  });
  return loaded.dataDir;
}
