// Runs `npm install` in a folder with a clean npm environment, streaming its output line by line
// to a log file and a callback, and turns a failure into a message with npm's last lines.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppError } from '@atelier/protocol';

export const TAIL_LINES = 20;

export interface NpmRun {
  /** the folder holding the npm project (a package.json is written when missing) */
  cwd: string;
  packages: string[];
  /** the full log: every line npm prints is appended here */
  logFile: string;
  onLine?: (line: string) => void;
  /** folders put first on PATH, so install scripts run with that `node` */
  pathFirst?: string[];
  /** extra environment for npm and the install scripts, e.g. npm_config_nodedir */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** names a likely cause from npm's output; the message then leads with it */
  explain?: (output: string[]) => string | undefined;
}

/** The npm that came with the running Node, else whatever `npm` is on PATH. */
export function npmCommand(): string {
  const beside = join(dirname(process.execPath), 'npm');
  return existsSync(beside) ? beside : 'npm';
}

/** The environment npm runs in: ours minus inherited npm_* variables (from an `npm run` that
 * started us, which would point npm at another project), plus quiet defaults and `extra`. */
export function npmEnv(pathFirst: string[], extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  }
  const path = [...pathFirst, dirname(process.execPath), env.PATH ?? ''].filter(Boolean);
  return {
    ...env,
    PATH: path.join(delimiter),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_progress: 'false',
    ...extra,
  };
}

/** `npm install <packages>` in `cwd`; resolves when npm exits 0, else throws an AppError whose
 * details hold npm's last lines and the log file. */
export async function npmInstall(run: NpmRun): Promise<void> {
  run.signal?.throwIfAborted();
  const pkgJson = join(run.cwd, 'package.json');
  if (!existsSync(pkgJson)) {
    await writeFile(pkgJson, `${JSON.stringify({ name: 'atelier-ide-part', private: true }, null, 2)}\n`);
  }
  // foreground scripts: the native builds of install scripts show up in the log and as progress
  const args = ['install', '--no-audit', '--no-fund', '--foreground-scripts', ...run.packages];
  const tail: string[] = [];
  const pending: string[] = [];
  const flush = async () => {
    if (pending.length) await appendFile(run.logFile, pending.splice(0).join(''));
  };
  await appendFile(run.logFile, `$ (cd ${run.cwd} && npm ${args.join(' ')})\n`);
  // Its own process group, so an abort stops npm's install scripts and compilers too, before the
  // caller removes the folder they write into.
  const child = spawn(npmCommand(), args, {
    cwd: run.cwd,
    env: npmEnv(run.pathFirst ?? [], run.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > 400) tail.splice(0, tail.length - 400);
    pending.push(`${line}\n`);
    run.onLine?.(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const timer = setInterval(() => {
    flush().catch((e: unknown) => run.onLine?.(`cannot write ${run.logFile}: ${(e as Error).message}`));
  }, 1000);
  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
  };
  run.signal?.addEventListener('abort', stop, { once: true });
  if (child.pid !== undefined) running.add(child.pid);
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
  } catch (e) {
    throw new AppError(
      'failed_precondition',
      `cannot run ${npmCommand()} (${(e as Error).message}) — install npm next to node or put it on PATH`,
    );
  } finally {
    clearInterval(timer);
    clearTimeout(killTimer);
    run.signal?.removeEventListener('abort', stop);
    if (child.pid !== undefined) running.delete(child.pid);
    await flush();
  }
  run.signal?.throwIfAborted();
  if (code === 0) return;
  await appendFile(run.logFile, `npm exited with ${code}\n`);
  const cause = run.explain?.(tail);
  throw new AppError(
    cause ? 'failed_precondition' : 'internal',
    `${cause ? `${cause}. ` : ''}npm install ${run.packages.join(' ')} failed (exit ${code}); full log: ${run.logFile}`,
    [`last lines of npm's output:`, ...tail.slice(-TAIL_LINES)],
  );
}

/** Process groups of npm runs in progress: stopped when this process exits, so no install keeps
 * writing into a folder nobody will finish (exits by an unhandled signal cannot be caught). */
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) killGroup(pid, 'SIGTERM');
});

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (e) {
    // ESRCH: the group has exited already, which is what we want.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
