// The fakes' data model (spec, events) and real bare git repositories: created from a spec, queried with git.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface FakeScmUser {
  login: string;
  id: number;
  name: string;
  email: string;
  password?: string;
}

export interface FakeScmApp {
  clientId: string;
  clientSecret: string;
  /** allowed redirect URIs, exact match */
  redirectUris: string[];
}

export interface FakeScmRepo {
  /**
   * user login or org/group path (GitLab: may contain '/': group/subgroup; Bitbucket Server: a
   * project key, or `~login` for a user's personal repository)
   */
  owner: string;
  name: string;
  private: boolean;
  /** 'main' when absent */
  defaultBranch?: string;
  /** branch → files (path → content); each branch one commit on top of the default branch */
  branches: Record<string, Record<string, string>>;
  /** tag → branch whose head it points at */
  tags?: Record<string, string>;
  /** head/base = branch names; headRepo: the fork (`owner/name` in the same fake) the head branch is in */
  pulls?: { number: number; title: string; head: string; base: string; author: string; headRepo?: string }[];
  issues?: { number: number; title: string; author: string }[];
  /** logins that may read/push a private repo besides the owner */
  collaborators?: string[];
}

export interface FakeScmSpec {
  users: FakeScmUser[];
  /** OAuth apps registered at the fake */
  apps: FakeScmApp[];
  repos: FakeScmRepo[];
  /** access tokens expire after this many seconds and come with a refresh token; absent: never */
  tokenLifetimeSeconds?: number;
}

export type FakeScmEvent =
  | { kind: 'authorize'; clientId: string; login: string; scopes: string[] }
  | { kind: 'token'; clientId: string; grantType: string; login?: string; error?: string }
  | { kind: 'api'; method: string; path: string; status: number; login?: string }
  | { kind: 'git'; repo: string; service: string; status: number; login?: string }
  | { kind: 'push'; repo: string; ref: string; before: string; after: string; login: string };

export interface FakeScm {
  /** http://127.0.0.1:<port> */
  url: string;
  /** 127.0.0.1:<port> */
  host: string;
  close(): Promise<void>;
  /** what happened, for assertions: token exchanges, API calls with the token's login, git pushes */
  log: FakeScmEvent[];
  /** the bare repo path, to inspect pushes with git */
  repoPath(owner: string, name: string): string;
  /** mint a token directly for a user (tests that skip the browser) */
  issueToken(login: string, scopes: string[]): string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorDate: string;
  committerName: string;
  committerEmail: string;
  committerDate: string;
  message: string;
}

export interface TreeEntry {
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size: number;
  name: string;
}

/** Fixed dates so the same spec always yields the same commit shas. */
const FIXED_DATE = '2024-01-01T12:00:00Z';

/** Creates the bare repository `<root>/<owner>/<name>.git` with one commit per branch and the tags. */
export function createBareRepo(
  root: string,
  repo: FakeScmRepo,
  author: { name: string; email: string },
): string {
  const work = mkdtempSync(join(tmpdir(), 'fake-scm-work-'));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_DATE: FIXED_DATE,
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: work, env, stdio: 'pipe' });
  const write = (files: Record<string, string>) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    git('add', '-A');
  };
  try {
    const main = repo.defaultBranch ?? 'main';
    git('init', '-q', '-b', main);
    write(repo.branches[main] ?? {});
    git('commit', '-q', '--allow-empty', '-m', 'Initial commit');
    for (const [branch, files] of Object.entries(repo.branches)) {
      if (branch === main) continue;
      git('checkout', '-q', '-b', branch, main);
      write(files);
      git('commit', '-q', '--allow-empty', '-m', `Update ${branch}`);
    }
    git('checkout', '-q', main);
    for (const [tag, branch] of Object.entries(repo.tags ?? {})) git('tag', tag, branch);
    const bare = join(root, repo.owner, `${repo.name}.git`);
    mkdirSync(dirname(bare), { recursive: true });
    execFileSync('git', ['clone', '-q', '--bare', work, bare], { stdio: 'pipe' });
    execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: bare });
    // as GitHub and GitLab do: clients may fetch without blobs
    execFileSync('git', ['config', 'uploadpack.allowFilter', 'true'], { cwd: bare });
    return bare;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Read-only queries on one bare repository, through the git CLI. */
export class BareRepo {
  constructor(readonly path: string) {}

  private async git(args: string[]): Promise<string | undefined> {
    try {
      const { stdout } = await execFileAsync('git', ['--git-dir', this.path, ...args], {
        maxBuffer: 64 << 20,
      });
      return stdout;
    } catch {
      // git exits non-zero for an unknown ref or path: that is "not found" for every caller
      return undefined;
    }
  }

  /** Commit sha of a branch, tag, full or abbreviated sha; undefined when nothing matches. */
  async resolve(ref: string): Promise<string | undefined> {
    if (ref === '' || ref.startsWith('-')) return undefined;
    const out = await this.git(['rev-parse', '--verify', '-q', `${ref}^{commit}`]);
    return out?.trim() || undefined;
  }

  async branch(name: string): Promise<string | undefined> {
    return this.resolve(`refs/heads/${name}`);
  }

  async tag(name: string): Promise<string | undefined> {
    return this.resolve(`refs/tags/${name}`);
  }

  async commit(ref: string): Promise<CommitInfo | undefined> {
    const sha = await this.resolve(ref);
    if (!sha) return undefined;
    const out = await this.git([
      'show',
      '-s',
      '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B',
      sha,
    ]);
    if (out === undefined) return undefined;
    const [
      h = '',
      tree = '',
      parents = '',
      an = '',
      ae = '',
      ad = '',
      cn = '',
      ce = '',
      cd = '',
      message = '',
    ] = out.split('\0');
    return {
      sha: h,
      tree,
      parents: parents.split(' ').filter(Boolean),
      authorName: an,
      authorEmail: ae,
      authorDate: ad,
      committerName: cn,
      committerEmail: ce,
      committerDate: cd,
      message: message.replace(/\n+$/, ''),
    };
  }

  /** `refs/<kind>/…` refs whose name starts with `prefix` (after `refs/<kind>/`), with their object sha. */
  async refs(kind: 'heads' | 'tags', prefix = ''): Promise<{ ref: string; sha: string }[]> {
    const out = await this.git(['for-each-ref', '--format=%(refname)%00%(objectname)', `refs/${kind}/`]);
    return (out ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [ref = '', sha = ''] = line.split('\0');
        return { ref, sha };
      })
      .filter((r) => r.ref.startsWith(`refs/${kind}/${prefix}`));
  }

  /** Every ref and its sha, to see what a push changed. */
  async allRefs(): Promise<Map<string, string>> {
    const out = await this.git(['for-each-ref', '--format=%(refname) %(objectname)']);
    const refs = new Map<string, string>();
    for (const line of (out ?? '').split('\n').filter(Boolean)) {
      const [ref = '', sha = ''] = line.split(' ');
      refs.set(ref, sha);
    }
    return refs;
  }

  /** What `path` is at commit `sha` ('' is the root tree). */
  async entryType(sha: string, path: string): Promise<'blob' | 'tree' | undefined> {
    const out = (await this.git(['cat-file', '-t', `${sha}:${path}`]))?.trim();
    return out === 'blob' || out === 'tree' ? out : undefined;
  }

  async objectSha(sha: string, path: string): Promise<string | undefined> {
    return (await this.git(['rev-parse', '--verify', '-q', `${sha}:${path}`]))?.trim() || undefined;
  }

  async readFile(sha: string, path: string): Promise<Buffer | undefined> {
    try {
      const { stdout } = await execFileAsync(
        'git',
        ['--git-dir', this.path, 'cat-file', 'blob', `${sha}:${path}`],
        {
          encoding: 'buffer',
          maxBuffer: 64 << 20,
        },
      );
      return stdout;
    } catch {
      // not a blob at that commit: the caller answers 404
      return undefined;
    }
  }

  async listTree(sha: string, path: string): Promise<TreeEntry[]> {
    const out = await this.git(['ls-tree', '-l', `${sha}:${path}`]);
    return (out ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [meta = '', name = ''] = line.split('\t');
        const [, type = 'blob', objectSha = '', size = '0'] = meta.split(/\s+/);
        return { type: type as TreeEntry['type'], sha: objectSha, size: Number(size) || 0, name };
      });
  }
}
