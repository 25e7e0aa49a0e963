// Entry of the supervisor bundle (dist/supervisor.cjs), started as root as the workspace container's command.
import { readFileSync } from 'node:fs';
import { formatIssues, isAppError, SUPERVISOR_CONFIG_ENV, supervisorConfigSchema } from '@atelier/protocol';
import { becomeUser, currentAccount, resolveAccount } from './account.js';
import { jsonLogger } from './log.js';
import { startSupervisor } from './supervisor.js';

const WORKSPACE_ROOT = '/workspace';

async function main(): Promise<void> {
  const raw = process.env[SUPERVISOR_CONFIG_ENV];
  let input: unknown;
  try {
    input = JSON.parse(raw ?? '');
  } catch {
    exitWith([
      `${SUPERVISOR_CONFIG_ENV} must hold the supervisor's JSON config; got ${raw ? 'invalid JSON' : 'nothing'}`,
    ]);
  }
  const parsed = supervisorConfigSchema.safeParse(input);
  if (!parsed.success)
    exitWith(formatIssues(parsed.error.issues).map((l) => `${SUPERVISOR_CONFIG_ENV}: ${l}`));
  const config = parsed.data;
  delete process.env[SUPERVISOR_CONFIG_ENV]; // the token must not reach terminals or tasks

  const logger = jsonLogger({ workspaceId: config.workspaceId, instanceId: config.instanceId });
  let account = currentAccount();
  if (process.getuid?.() === 0) {
    account = resolveAccount(readFileSync('/etc/passwd', 'utf8'), config.user);
    await becomeUser(account, WORKSPACE_ROOT);
    process.env.HOME = account.home;
  }
  const supervisor = await startSupervisor(config, { account, logger, workspaceRoot: WORKSPACE_ROOT });

  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    // the container's main process: it ends with the stop, and a hung close may take at most 900 ms
    setTimeout(() => process.exit(0), 900).unref();
    supervisor.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ error: e }, 'shutdown failed');
        process.exit(0);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function exitWith(lines: string[]): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(2);
}

main().catch((e: unknown) => {
  process.stderr.write(`supervisor failed to start: ${isAppError(e) ? e.message : String(e)}\n`);
  process.exit(1);
});
