// Entry of the supervisor bundle (dist/supervisor.cjs), started as root as the workspace container's command.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  formatIssues,
  isAppError,
  SUPERVISOR_CONFIG_ENV,
  SUPERVISOR_LOCAL_ENV,
  type SupervisorConfig,
  type SupervisorLocal,
  supervisorConfigSchema,
  supervisorLocalSchema,
} from '@atelier/protocol';
import { becomeUser, currentAccount, isolatedAccount, resolveAccount } from './account.js';
import { jsonLogger, type Logger } from './log.js';
import { type RunningSupervisor, startSupervisor } from './supervisor.js';

const WORKSPACE_ROOT = '/workspace';

async function main(): Promise<void> {
  const config = parseEnv(SUPERVISOR_CONFIG_ENV, supervisorConfigSchema, true);
  const local = parseEnv(SUPERVISOR_LOCAL_ENV, supervisorLocalSchema, false);
  // the token must not reach terminals or tasks
  delete process.env[SUPERVISOR_CONFIG_ENV];
  delete process.env[SUPERVISOR_LOCAL_ENV];

  const logger = jsonLogger({ workspaceId: config.workspaceId, instanceId: config.instanceId });
  const supervisor = local ? await startLocal(config, local, logger) : await startInContainer(config, logger);

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

/** The container's command: becomes the image's user when started as root, serves /workspace. */
async function startInContainer(config: SupervisorConfig, logger: Logger): Promise<RunningSupervisor> {
  let account = currentAccount();
  if (process.getuid?.() === 0) {
    installGp(logger);
    account = resolveAccount(readFileSync('/etc/passwd', 'utf8'), config.user);
    await becomeUser(account, WORKSPACE_ROOT);
    process.env.HOME = account.home;
  }
  return startSupervisor(config, { account, logger, workspaceRoot: WORKSPACE_ROOT });
}

/**
 * Puts `gp` on every shell's PATH: a wrapper in /usr/local/bin that runs the bundle beside this one
 * with the same Node (both are mounted read-only). A read-only image leaves gp out, with a warning.
 */
function installGp(logger: Logger): void {
  const bundle = join(dirname(process.argv[1] ?? '/.supervisor/supervisor.cjs'), 'gp.cjs');
  try {
    mkdirSync('/usr/local/bin', { recursive: true });
    writeFileSync('/usr/local/bin/gp', `#!/bin/sh\nexec '${process.execPath}' '${bundle}' "$@"\n`, {
      mode: 0o755,
    });
  } catch (e) {
    logger.warn({ error: String(e) }, 'gp could not be installed in /usr/local/bin');
  }
}

/** Outside a container (SUPERVISOR_LOCAL_ENV): stays the current user, on a folder of the caller's. */
async function startLocal(
  config: SupervisorConfig,
  local: SupervisorLocal,
  logger: Logger,
): Promise<RunningSupervisor> {
  const account = local.home ? isolatedAccount(local.home) : currentAccount();
  if (local.home) process.env.HOME = local.home;
  return startSupervisor(config, {
    account,
    logger,
    workspaceRoot: local.workspaceRoot,
    host: local.host,
    port: local.port,
    workspaceApiPort: local.workspaceApiPort,
    idePort: local.idePort,
  });
}

/** A zod schema, as far as parseEnv needs it (the supervisor gets zod through protocol only). */
interface Schema<T> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/** The JSON in environment variable `name`, checked by `schema`; exits with every problem listed. */
function parseEnv<T>(name: string, schema: Schema<T>, required: true): T;
function parseEnv<T>(name: string, schema: Schema<T>, required: false): T | undefined;
function parseEnv<T>(name: string, schema: Schema<T>, required: boolean): T | undefined {
  const raw = process.env[name];
  if (raw === undefined && !required) return undefined;
  let input: unknown;
  try {
    input = JSON.parse(raw ?? '');
  } catch {
    exitWith([`${name} must hold JSON; got ${raw ? 'invalid JSON' : 'nothing'}`]);
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) exitWith(formatIssues(parsed.error.issues).map((l) => `${name}: ${l}`));
  return parsed.data;
}

function exitWith(lines: string[]): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(2);
}

main().catch((e: unknown) => {
  process.stderr.write(`supervisor failed to start: ${isAppError(e) ? e.message : String(e)}\n`);
  process.exit(1);
});
