// Checks a repository with `git ls-remote` before a workspace is created, so a typo in a URL or a
// branch name is a clear 400 now instead of a failed clone in a container later.
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gitCredentialEnv, gitFailure, gitOptionsFor, runGit } from '@atelier/image-builder';
import { AppError, type GitCredentials, type RepositoryContext } from '@atelier/protocol';

const TIMEOUT_MS = 20_000;
const COMMIT = /^[0-9a-f]{7,40}$/i;

interface LsRemoteResult {
  refs: Set<string>;
}

async function lsRemote(
  repository: RepositoryContext,
  timeoutMs: number,
  credentials: GitCredentials | undefined,
): Promise<LsRemoteResult> {
  const result = await runGit([...gitOptionsFor(repository), 'ls-remote', repository.cloneUrl], {
    timeoutMs,
    env: gitCredentialEnv(credentials),
  });
  if (result.code !== 0 || result.timedOut) {
    throw new AppError(
      'invalid_argument',
      `cannot reach the repository ${repository.contextUrl}: ${gitFailure(result, timeoutMs)}`,
    );
  }
  const refs = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    const name = line.split('\t')[1];
    if (name) refs.add(name.trim());
  }
  return { refs };
}

/**
 * Throws an invalid_argument AppError when the repository cannot be read, has no commits, or
 * does not have `ref` as a branch or tag (a 7–40 digit hex commit is accepted as given).
 */
export async function checkRepository(
  repository: RepositoryContext,
  ref: string | undefined,
  options: { timeoutMs?: number; credentials?: GitCredentials | undefined } = {},
): Promise<void> {
  if (repository.kind === 'file') {
    const path = fileURLToPath(repository.cloneUrl);
    const found = await stat(path).catch(() => undefined);
    if (!found?.isDirectory()) {
      throw new AppError('invalid_argument', `there is no repository at ${path} on the server`);
    }
  }
  const { refs } = await lsRemote(repository, options.timeoutMs ?? TIMEOUT_MS, options.credentials);
  if (refs.size === 0) {
    throw new AppError('invalid_argument', `repository ${repository.contextUrl} has no commits`);
  }
  if (ref === undefined || COMMIT.test(ref)) return;
  if (refs.has(`refs/heads/${ref}`) || refs.has(`refs/tags/${ref}`) || refs.has(ref)) return;
  throw new AppError('invalid_argument', `branch or tag "${ref}" does not exist in ${repository.contextUrl}`);
}
