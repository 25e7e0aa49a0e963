// Shallow clone of the workspace's repository with git, reporting progress and explaining failures.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AppError } from '@atelier/protocol';

export interface CloneRequest {
  cloneUrl: string;
  /** branch, tag or 40/64-hex commit; the remote's default branch when absent */
  ref?: string | undefined;
  /** the checkout folder; must not exist or be empty */
  dir: string;
  /** HOME for git (the workspace user's home, for ~/.gitconfig and credentials) */
  home: string;
  /** `git clone --config` pairs (.gitpod.yml gitConfig): kept in the clone's .git/config */
  config?: Record<string, string> | undefined;
  /** a branch to create at the checked-out commit and check out (an issue's context) */
  localBranch?: string | undefined;
  /** added as the remote `upstream` (a pull request from a fork: the repository it targets) */
  upstreamCloneUrl?: string | undefined;
  /** environment for git on top of the filtered one (the credential helper's GIT_CONFIG_* pairs) */
  env?: Record<string, string> | undefined;
  onProgress: (line: string) => void;
  signal?: AbortSignal;
}

const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/i;

export async function cloneRepository(req: CloneRequest): Promise<void> {
  const global = await localRepoConfig(req);
  try {
    await clone(req, global?.file);
    const git = (args: string[]) => runGit(args, req.dir, req, global?.file);
    if (req.upstreamCloneUrl) await git(['remote', 'add', 'upstream', '--', req.upstreamCloneUrl]);
    if (req.localBranch) await git(['checkout', '--quiet', '-b', req.localBranch]);
  } finally {
    if (global) await rm(global.dir, { recursive: true, force: true });
  }
}

async function clone(req: CloneRequest, globalConfig: string | undefined): Promise<void> {
  const git = (args: string[], cwd: string) => runGit(args, cwd, req, globalConfig);
  await mkdir(dirname(req.dir), { recursive: true });
  const config = Object.entries(req.config ?? {});
  if (req.ref && COMMIT.test(req.ref)) {
    await mkdir(req.dir, { recursive: true });
    await git(['init', '--quiet'], req.dir);
    for (const [key, value] of config) await git(['config', '--', key, value], req.dir);
    await git(['remote', 'add', 'origin', '--', req.cloneUrl], req.dir);
    await git(['fetch', '--depth=1', '--progress', 'origin', req.ref], req.dir);
    await git(['checkout', '--quiet', '--detach', 'FETCH_HEAD'], req.dir);
    return;
  }
  const branch = req.ref ? ['--branch', req.ref] : [];
  const configArgs = config.flatMap(([key, value]) => ['--config', `${key}=${value}`]);
  await git(
    ['clone', '--depth=1', ...branch, ...configArgs, '--progress', '--', req.cloneUrl, req.dir],
    dirname(req.dir),
  );
}

/**
 * A repository mounted from the host belongs to another uid, and git refuses it ("dubious ownership")
 * unless the global config (git 2.39 honours no other place) names it in safe.directory. For such
 * clones git gets a temporary global config that includes the user's own and trusts that one path.
 */
async function localRepoConfig(req: CloneRequest): Promise<{ dir: string; file: string } | undefined> {
  let path: string | undefined;
  if (req.cloneUrl.startsWith('file://')) path = decodeURIComponent(new URL(req.cloneUrl).pathname);
  else if (req.cloneUrl.startsWith('/')) path = req.cloneUrl;
  if (!path) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'atelier-git-'));
  const file = join(dir, 'gitconfig');
  const trusted = [path, join(path, '.git')].map((p) => `\tdirectory = ${p}\n`).join('');
  await writeFile(file, `[include]\n\tpath = ${join(req.home, '.gitconfig')}\n[safe]\n${trusted}`);
  return { dir, file };
}

function gitEnv(req: CloneRequest, globalConfig: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, req.env ?? {}, { HOME: req.home, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' });
  if (globalConfig) env.GIT_CONFIG_GLOBAL = globalConfig;
  return env;
}

function runGit(
  args: string[],
  cwd: string,
  req: CloneRequest,
  globalConfig: string | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: gitEnv(req, globalConfig),
      stdio: ['ignore', 'ignore', 'pipe'],
      signal: req.signal,
    });
    let stderr = '';
    let partial = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-64 * 1024);
      const parts = (partial + chunk).split(/[\r\n]/);
      partial = parts.pop() ?? '';
      const last = parts
        .map((p) => p.trim())
        .filter(Boolean)
        .pop();
      if (last) req.onProgress(redact(last));
    });
    child.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new AppError('failed_precondition', 'git is not installed in the workspace image — add it'));
      } else reject(e);
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(explainGitFailure(stderr, { ...req, exit: code ?? signal ?? 'unknown' }));
    });
  });
}

/** Hides credentials in URLs (https://user:token@host → https://***@host). */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

/** Turns git's stderr into one message that says what went wrong and what to do. */
export function explainGitFailure(
  stderr: string,
  req: { cloneUrl: string; ref?: string | undefined; exit: number | string },
): AppError {
  const url = redact(req.cloneUrl);
  const has = (re: RegExp) => re.test(stderr);
  // the first fatal line names the cause; later ones ("Could not read from remote repository") are generic
  const fatal = redact(
    stderr
      .split(/[\r\n]/)
      .map((l) => l.trim())
      .find((l) => /^(fatal|error):/.test(l)) ?? `git exited with ${req.exit}`,
  );
  if (has(/No space left on device|Disk quota exceeded/i)) {
    return new AppError(
      'resource_exhausted',
      `the workspace disk is full while cloning ${url} — free space or use a larger disk`,
    );
  }
  if (req.ref && has(/Remote branch .* not found in upstream|Could not find remote branch/i)) {
    return new AppError('not_found', `branch or tag '${req.ref}' does not exist in ${url}`);
  }
  if (req.ref && has(/not our ref|couldn't find remote ref|unadvertised object/i)) {
    return new AppError(
      'not_found',
      `commit ${req.ref} does not exist in ${url} (or the server does not serve it)`,
    );
  }
  if (
    has(
      /could not read (Username|Password)|terminal prompts disabled|Authentication failed|returned error: 40[13]|Permission denied \(publickey/i,
    )
  ) {
    return new AppError(
      'permission_denied',
      `authentication required to clone ${url} — the repository is private or the credentials were rejected`,
    );
  }
  if (has(/Repository not found|does not appear to be a git repository|returned error: 404|not found/i)) {
    return new AppError('not_found', `repository ${url} not found — check the URL`);
  }
  if (has(/detected dubious ownership/)) {
    return new AppError(
      'permission_denied',
      `git refuses ${url}: it belongs to another user (dubious ownership) — add it to safe.directory in the image's /etc/gitconfig`,
    );
  }
  if (
    has(
      /Could not resolve host|Connection refused|Failed to connect|timed out|Network is unreachable|No route to host|unable to access|Could not read from remote/i,
    )
  ) {
    return new AppError(
      'unavailable',
      `cannot reach the repository ${url}: ${fatal.replace(/^fatal: /, '')}`,
    );
  }
  return new AppError('internal', `cloning ${url} failed: ${fatal}`);
}
