// `atelier up` / `atelier run`: start the components in this process and say where things are.
import { AppError } from '@atelier/protocol';
import { pino } from 'pino';
import { z } from 'zod';
import { startAtelier } from '../compose.js';
import { loadConfig } from '../load-config.js';
import { configFlags, parseFlags } from './flags.js';

const flagsSchema = z.object({
  config: z.string().optional(),
  'data-dir': z.string().min(1).optional(),
  port: z.coerce.number().int().min(1).max(65535).optional(),
  domain: z.string().optional(),
  target: z.string().optional(),
});

const KNOWN_TARGETS = ['all', 'server', 'proxy', 'ws-manager'];

export async function runUp(args: string[], opts: { targets: 'all' | 'from-flags' }): Promise<number> {
  const { values } = parseFlags(
    args,
    { ...configFlags, port: { type: 'string' }, domain: { type: 'string' }, target: { type: 'string' } },
    flagsSchema,
  );
  const targets = opts.targets === 'all' ? ['all'] : (values.target ?? '').split(',').filter(Boolean);
  const unknown = targets.filter((t) => !KNOWN_TARGETS.includes(t));
  if (targets.length === 0 || unknown.length) {
    throw new AppError(
      'invalid_argument',
      `--target takes a list of ${KNOWN_TARGETS.join(', ')}; got "${values.target ?? ''}"`,
    );
  }
  if (!targets.includes('all')) {
    throw new AppError(
      'failed_precondition',
      'this release runs the components together only: use --target=all',
    );
  }
  const flags: Record<string, unknown> = {};
  if (values['data-dir']) flags.dataDir = values['data-dir'];
  if (values.port) flags.port = values.port;
  if (values.domain) flags.domain = values.domain;
  const loaded = await loadConfig({ file: values.config, flags });
  const logger = pino({ level: loaded.config.log.level, base: { pid: process.pid } });
  const running = await startAtelier(loaded, logger);
  const url = `${running.urls.scheme}://${running.urls.domain}:${running.urls.port}`;
  const lines = [
    '',
    `  Atelier is running at ${url}`,
    `  data:   ${loaded.dataDir} (config: ${loaded.source})`,
    running.setupCode
      ? `  first start: open ${url} and enter the one-time setup code  ${running.setupCode}  to create the admin account`
      : `  sign in at ${url} (new accounts: atelier admin user create --name N --password P)`,
    ...(running.urls.ssh
      ? [
          `  ssh:    ssh -p ${running.urls.ssh.port} <workspace id>@${running.urls.ssh.host} (add your key in the dashboard: SSH keys)`,
        ]
      : []),
    ...(running.caCertPath
      ? [
          `  local CA: ${running.caCertPath} — import it into your browser to trust ${url} (README: "Trusting the local CA")`,
        ]
      : []),
    '',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down; workspaces keep running and are re-adopted on the next start');
      running.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
