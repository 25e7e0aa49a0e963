// Runs git on the server for one repository: no prompts, a time-out that also ends git's transport
// helpers (its own process group), and the output collected.
import { spawn } from 'node:child_process';
import { AppError, type RepositoryContext } from '@atelier/protocol';

export interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false', SSH_ASKPASS: '/bin/false' };

/** `-c` options a command that reads `repository` needs (local repositories: the file protocol). */
export const gitOptionsFor = (repository: RepositoryContext): string[] =>
  repository.kind === 'file' ? ['-c', 'protocol.file.allow=always'] : [];

/**
 * Environment that makes git send these credentials to the repository's host (an Authorization
 * header through GIT_CONFIG_*: not in the command line, where `ps` would show it).
 */
export function gitCredentialEnv(
  credentials: { username: string; password: string } | undefined,
): Record<string, string> {
  if (!credentials) return {};
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

export function runGit(
  args: string[],
  opts: { cwd?: string; timeoutMs: number; env?: Record<string, string> },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: opts.cwd,
      env: { ...process.env, ...ENV, ...opts.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already: git finished as the timer fired
      }
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new AppError('unavailable', `cannot run git on the server: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** git's first line of complaint, or what happened when it said nothing. */
export function gitFailure(result: GitResult, timeoutMs: number): string {
  if (result.timedOut) return `no answer within ${timeoutMs / 1000} s`;
  const first = result.stderr
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim();
  return first ?? `git exited with ${result.code}`;
}
