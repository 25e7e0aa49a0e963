// Checks a repository with `git ls-remote` before a workspace is created, so a typo in a URL or a
// branch name is a clear 400 now instead of a failed clone in a container later.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError, type RepositoryContext } from '@atelier/protocol';

const TIMEOUT_MS = 20_000;
const COMMIT = /^[0-9a-f]{7,40}$/i;

interface LsRemoteResult {
  refs: Set<string>;
}

function lsRemote(repository: RepositoryContext, timeoutMs: number): Promise<LsRemoteResult> {
  const args = [
    ...(repository.kind === 'file' ? ['-c', 'protocol.file.allow=always'] : []),
    'ls-remote',
    repository.cloneUrl,
  ];
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
  };
  return new Promise((resolve, reject) => {
    // its own process group, so that a time-out also ends git's transport helper (git-remote-http),
    // which would otherwise keep the connection to a silent server open
    const child = spawn('git', args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    }, timeoutMs);
    const fail = (reason: string) =>
      reject(
        new AppError('invalid_argument', `cannot reach the repository ${repository.contextUrl}: ${reason}`),
      );
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(`cannot run git: ${e.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return fail(`no answer within ${timeoutMs / 1000} s`);
      if (code !== 0) {
        const firstLine = stderr
          .split('\n')
          .find((l) => l.trim() !== '')
          ?.trim();
        return fail(firstLine ?? `git ls-remote exited with ${code ?? signal}`);
      }
      const refs = new Set<string>();
      for (const line of stdout.split('\n')) {
        const name = line.split('\t')[1];
        if (name) refs.add(name.trim());
      }
      resolve({ refs });
    });
  });
}

/**
 * Throws an invalid_argument AppError when the repository cannot be read, has no commits, or
 * does not have `ref` as a branch or tag (a 7–40 digit hex commit is accepted as given).
 */
export async function checkRepository(
  repository: RepositoryContext,
  ref: string | undefined,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  if (repository.kind === 'file') {
    const path = fileURLToPath(repository.cloneUrl);
    const found = await stat(path).catch(() => undefined);
    if (!found?.isDirectory()) {
      throw new AppError('invalid_argument', `there is no repository at ${path} on the server`);
    }
  }
  const { refs } = await lsRemote(repository, options.timeoutMs ?? TIMEOUT_MS);
  if (refs.size === 0) {
    throw new AppError('invalid_argument', `repository ${repository.contextUrl} has no commits`);
  }
  if (ref === undefined || COMMIT.test(ref)) return;
  if (refs.has(`refs/heads/${ref}`) || refs.has(`refs/tags/${ref}`) || refs.has(ref)) return;
  throw new AppError('invalid_argument', `branch or tag "${ref}" does not exist in ${repository.contextUrl}`);
}
