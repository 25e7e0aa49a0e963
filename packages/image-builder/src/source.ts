// The repository as the builder sees it: one commit fetched shallowly into a temporary folder, whose
// git object ids name the Dockerfile and the context exactly (a tree id covers every file below it).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { AppError, type GitCredentials } from '@atelier/protocol';
import { gitCredentialEnv, gitFailure, runGit } from './git.js';

export interface RepositorySource {
  cloneUrl: string;
  /** the commit the configuration was read from; wins over ref */
  revision?: string | undefined;
  /** branch or tag; the default branch when neither is given */
  ref?: string | undefined;
  /** for a private repository: sent as an Authorization header (never on the command line) */
  credentials?: GitCredentials | undefined;
}

const TIMEOUT_MS = 5 * 60_000;

/** A repository-relative path, normalised; `''` is the root. Paths out of the repository are refused. */
export function repoPath(path: string, what: string): string {
  const normal = posix.normalize(path.replace(/^\.\/+/, '')).replace(/\/+$/, '');
  if (normal === '.' || normal === '') return '';
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../')) {
    throw new AppError(
      'invalid_argument',
      `${what} '${path}' is outside the repository; give a path inside it`,
    );
  }
  return normal;
}

export class SourceCheckout {
  private constructor(
    readonly dir: string,
    readonly commit: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Fetches the one commit (depth 1) of `source`: with its files, or with `treesOnly` without them,
   * which is all that naming the content takes (a repository's size does not slow the cache check).
   */
  static async fetch(
    source: RepositorySource,
    opts: { timeoutMs?: number; treesOnly?: boolean } = {},
  ): Promise<SourceCheckout> {
    const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
    const dir = await mkdtemp(join(tmpdir(), 'atelier-build-src-'));
    const local = source.cloneUrl.startsWith('file:');
    const git = async (args: string[]) => {
      const result = await runGit(
        [...(local ? ['-c', 'protocol.file.allow=always'] : []), '-C', dir, ...args],
        { timeoutMs, env: gitCredentialEnv(source.credentials) },
      );
      if (result.code !== 0 || result.timedOut) {
        throw new AppError(
          'unavailable',
          `cannot fetch ${source.cloneUrl} to build the workspace image: ${gitFailure(result, timeoutMs)}`,
        );
      }
      return result.stdout.trim();
    };
    try {
      await git(['init', '-q', '--bare']);
      const filter = opts.treesOnly ? ['--filter=blob:none'] : [];
      await git([
        'fetch',
        '-q',
        '--depth=1',
        ...filter,
        '--',
        source.cloneUrl,
        source.revision ?? source.ref ?? 'HEAD',
      ]);
      const commit = await git(['rev-parse', 'FETCH_HEAD^{commit}']);
      return new SourceCheckout(dir, commit, timeoutMs);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The object id of a file (blob) or folder (tree) at the commit; undefined when there is none. */
  async objectId(path: string, kind: 'blob' | 'tree'): Promise<string | undefined> {
    if (path === '') {
      const root = await runGit(['-C', this.dir, 'rev-parse', `${this.commit}^{tree}`], {
        timeoutMs: this.timeoutMs,
      });
      return kind === 'tree' && root.code === 0 ? root.stdout.trim() : undefined;
    }
    // ls-tree names the entry from its tree, without reading the object (absent in a trees-only fetch)
    const entry = await runGit(['-C', this.dir, 'ls-tree', this.commit, '--', path], {
      timeoutMs: this.timeoutMs,
    });
    const m = /^\d+ (blob|tree|commit) ([0-9a-f]+)\t/.exec(entry.stdout);
    return entry.code === 0 && m?.[1] === kind ? m[2] : undefined;
  }

  /** The text of a file at the commit. */
  async read(path: string): Promise<string> {
    const result = await runGit(['-C', this.dir, 'show', `${this.commit}:${path}`], {
      timeoutMs: this.timeoutMs,
    });
    if (result.code !== 0)
      throw new AppError('not_found', `${path} is not in commit ${this.commit.slice(0, 12)}`);
    return result.stdout;
  }

  /** Writes the folder `path` of the commit (modes and symlinks kept) into `dest`. */
  async extract(path: string, dest: string): Promise<void> {
    const spec = path === '' ? this.commit : `${this.commit}:${path}`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'bash',
        [
          '-c',
          'set -o pipefail; git -C "$1" archive --format=tar "$2" | tar -x -C "$3"',
          'bash',
          this.dir,
          spec,
          dest,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(
              new AppError(
                'internal',
                `cannot unpack ${path || 'the repository'}: ${stderr.trim() || `exit ${code}`}`,
              ),
            ),
      );
    });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
