// Reads a repository's workspace configuration before a workspace is made: a shallow, blob-less
// clone into a temporary folder, then only the candidate files (.gitpod.yml, devcontainer.json).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitCredentialEnv, gitFailure, gitOptionsFor, runGit } from '@atelier/image-builder';
import {
  AppError,
  configCandidates,
  type GitCredentials,
  loadWorkspaceConfig,
  type RepositoryContext,
  type WorkspaceConfig,
} from '@atelier/protocol';

const TIMEOUT_MS = 30_000;
/** Larger configuration files are refused rather than parsed. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** The candidate files of `ref` (default branch when absent), path → text. */
export async function readConfigFiles(
  repository: RepositoryContext,
  ref: string | undefined,
  options: { timeoutMs?: number; credentials?: GitCredentials | undefined } = {},
): Promise<{ files: Map<string, string>; revision: string }> {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const dir = await mkdtemp(join(tmpdir(), 'atelier-config-'));
  const git = async (args: string[], what: string) => {
    const result = await runGit([...gitOptionsFor(repository), '-C', dir, ...args], {
      timeoutMs,
      env: gitCredentialEnv(options.credentials),
    });
    if (result.code !== 0 || result.timedOut) {
      throw new AppError(
        'invalid_argument',
        `cannot read ${what} of ${repository.contextUrl}: ${gitFailure(result, timeoutMs)}`,
      );
    }
    return result.stdout;
  };
  try {
    await git(['init', '-q'], 'the repository');
    await git(['remote', 'add', 'origin', '--', repository.cloneUrl], 'the repository');
    // a branch, a tag or a commit id; protocol v2 lets a server hand out any commit it has by id
    await git(['fetch', '-q', '--depth=1', '--filter=blob:none', 'origin', ref ?? 'HEAD'], 'the repository');
    const listed = await git(
      ['ls-tree', '-r', '-l', 'FETCH_HEAD', '--', '.gitpod.yml', '.devcontainer.json', '.devcontainer'],
      'the file list',
    );
    const sizes = new Map<string, number>();
    for (const line of listed.split('\n')) {
      const m = /^\d+ blob [0-9a-f]+\s+(\d+)\t(.+)$/.exec(line);
      if (m?.[1] && m[2]) sizes.set(m[2], Number(m[1]));
    }
    const files = new Map<string, string>();
    for (const path of configCandidates([...sizes.keys()])) {
      const size = sizes.get(path) ?? 0;
      if (size > MAX_CONFIG_BYTES) {
        throw new AppError(
          'invalid_argument',
          `${path} is ${size} bytes; a configuration file may have at most ${MAX_CONFIG_BYTES}`,
        );
      }
      files.set(path, await git(['show', `FETCH_HEAD:${path}`], path));
    }
    return { files, revision: (await git(['rev-parse', 'FETCH_HEAD'], 'the commit')).trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The workspace configuration of `ref` in the repository; an invalid file is its AppError. */
export async function readWorkspaceConfig(
  repository: RepositoryContext,
  ref: string | undefined,
  options: { timeoutMs?: number; credentials?: GitCredentials | undefined } = {},
): Promise<WorkspaceConfig> {
  const { files, revision } = await readConfigFiles(repository, ref, options);
  return { ...loadWorkspaceConfig(files), revision };
}
