// A parsed context (protocol parseContext) made concrete through the SCM's API: which repository to
// clone (a pull request's fork, say), at which branch, tag or commit, which local branch to create
// (an issue's), which file to open; and the configuration files read before any clone.
import {
  AppError,
  type ContextRef,
  configCandidates,
  gitRefSchema,
  issueBranchName,
  loadWorkspaceConfig,
  type ParsedContext,
  type ResolvedContext,
  type WorkspaceConfig,
} from '@atelier/protocol';
import { MAX_CONFIG_BYTES } from '../workspaces/config-files.js';
import type { ScmRepositoryApi } from './api/scm-api.js';

/** What a workspace is made from. */
export interface WorkspaceSource {
  /** the context as the user gave it, normalized (stored, shown, matched for "reopen") */
  contextUrl: string;
  cloneUrl: string;
  /** branch, tag or full commit id to check out; undefined: the default branch */
  ref: string | undefined;
  /** names for ids and display */
  owner: string | undefined;
  repo: string | undefined;
  description: string;
  context: ResolvedContext;
  /** where to read the configuration through the API (the default branch's name, say); undefined: no API */
  configRev: string | undefined;
  /** a pull request from a fork: the configuration is read there (owner and name on the same SCM) */
  configRepository?: { owner: string; name: string };
}

/** A `tree/<ref and path>` URL with more segments is not searched for its ref beyond this depth. */
const MAX_REF_SEGMENTS = 10;

const COMMIT = /^[0-9a-f]{7,40}$/i;

export async function resolveContext(
  parsed: Exclude<ParsedContext, { kind: 'snapshot' }>,
  api: ScmRepositoryApi | undefined,
  /** the user's login at the SCM (names an issue's branch) */
  login: string,
): Promise<WorkspaceSource> {
  if (parsed.kind === 'git') {
    if (!/^https?:\/\//i.test(parsed.cloneUrl)) {
      throw new AppError(
        'invalid_argument',
        `${parsed.cloneUrl} is an ssh URL; workspaces clone over https: give the repository's https URL`,
      );
    }
    const segments = new URL(parsed.cloneUrl).pathname.split('/').filter(Boolean);
    const repo = segments.at(-1)?.replace(/\.git$/, '');
    const owner = segments.at(-2);
    return {
      contextUrl: parsed.normalizedContextUrl,
      cloneUrl: parsed.cloneUrl,
      ref: undefined,
      owner,
      repo,
      description: owner && repo ? `${owner}/${repo}` : parsed.cloneUrl,
      context: { kind: 'git' },
      configRev: undefined,
    };
  }
  if (!api) {
    throw new AppError(
      'failed_precondition',
      `opening ${parsed.kind === 'repository' ? 'this page' : `a ${parsed.kind}`} of ${parsed.repository.host} needs its API, which this version of Atelier does not call yet: open the repository's clone URL (${parsed.repository.cloneUrl}) instead`,
    );
  }
  const { owner, name } = parsed.repository;
  const common = { contextUrl: parsed.normalizedContextUrl, owner, repo: name };
  switch (parsed.kind) {
    case 'repository': {
      const info = await api.repository();
      let ref: string | undefined;
      let openPath = parsed.path;
      if (parsed.ref) ref = await resolveRef(api, parsed.ref);
      else if (parsed.refAndPath) ({ ref, path: openPath } = await splitRefAndPath(api, parsed.refAndPath));
      return {
        ...common,
        cloneUrl: info.cloneUrl,
        ref: checkedRef(ref),
        description: `${owner}/${name}${ref ? ` (${shortRef(ref)})` : ''}`,
        context: { kind: 'repository', ...(openPath ? { openPath } : {}) },
        configRev: ref ?? info.defaultBranch,
      };
    }
    case 'pull-request':
      return pullRequestSource(api, common, parsed.number);
    case 'issue': {
      const issue = await api.issue(parsed.number);
      // GitHub's /issues/<n> answers for pull requests too; open those as what they are
      if (issue.isPullRequest) return pullRequestSource(api, common, parsed.number);
      const info = await api.repository();
      const localBranch = issueBranchName(login, issue.title, parsed.number);
      return {
        ...common,
        cloneUrl: info.cloneUrl,
        ref: undefined,
        description: `${owner}/${name}#${parsed.number}: ${issue.title}`,
        context: { kind: 'issue', number: parsed.number, title: issue.title.slice(0, 500), localBranch },
        configRev: info.defaultBranch,
      };
    }
    case 'commit': {
      const [info, sha] = await Promise.all([api.repository(), api.commit(parsed.sha)]);
      if (!sha) throw notFound(api, `commit ${parsed.sha}`);
      return {
        ...common,
        cloneUrl: info.cloneUrl,
        ref: sha,
        description: `${owner}/${name} (${sha.slice(0, 7)})`,
        context: { kind: 'commit', ...(parsed.path ? { openPath: parsed.path } : {}) },
        configRev: sha,
      };
    }
  }
}

async function pullRequestSource(
  api: ScmRepositoryApi,
  common: Pick<WorkspaceSource, 'contextUrl' | 'owner' | 'repo'>,
  number: number,
): Promise<WorkspaceSource> {
  const pr = await api.pullRequest(number);
  const fork = pr.head.cloneUrl !== pr.base.cloneUrl;
  return {
    ...common,
    cloneUrl: pr.head.cloneUrl,
    ref: checkedRef(pr.head.branch),
    description: `${common.owner}/${common.repo}#${number}: ${pr.title}`,
    context: {
      kind: 'pull-request',
      number,
      title: pr.title.slice(0, 500),
      baseRef: pr.base.branch,
      ...(fork ? { upstreamCloneUrl: pr.base.cloneUrl } : {}),
    },
    // the head commit the SCM reported, else the branch; a fork's, in the fork where the SCM names it
    configRev: pr.head.sha || pr.head.branch,
    ...(fork && pr.head.repository ? { configRepository: pr.head.repository } : {}),
  };
}

/** A ref of the URL as the SCM has it: a branch or tag by name, else a commit's full id. */
async function resolveRef(api: ScmRepositoryApi, ref: ContextRef): Promise<string> {
  const type = await api.refType(ref.name);
  if (type && (ref.type === 'unknown' || ref.type === type)) return ref.name;
  if (ref.type === 'unknown' && COMMIT.test(ref.name)) {
    const sha = await api.commit(ref.name);
    if (sha) return sha;
  }
  throw notFound(
    api,
    ref.type === 'unknown' ? `branch, tag or commit "${ref.name}"` : `${ref.type} "${ref.name}"`,
  );
}

/**
 * `tree/feature/x/src/a.ts`: the longest leading segments that name a branch or tag are the ref and
 * the rest the path, as Gitpod; else the first segment as a commit id.
 */
async function splitRefAndPath(
  api: ScmRepositoryApi,
  segments: readonly string[],
): Promise<{ ref: string; path: string | undefined }> {
  const path = (from: number) => (from < segments.length ? segments.slice(from).join('/') : undefined);
  for (let n = Math.min(segments.length, MAX_REF_SEGMENTS); n >= 1; n--) {
    const name = segments.slice(0, n).join('/');
    if (await api.refType(name)) return { ref: name, path: path(n) };
  }
  const first = segments[0] ?? '';
  const sha = COMMIT.test(first) ? await api.commit(first) : undefined;
  if (sha) return { ref: sha, path: path(1) };
  throw notFound(api, `a branch, tag or commit at the start of "${segments.join('/')}"`);
}

function notFound(api: ScmRepositoryApi, what: string): AppError {
  return new AppError('not_found', `${what} does not exist in this repository on ${api.endpoint.id}`);
}

/** A ref Atelier's clone can be given safely; other names (spaces, "~", "..") are refused, named. */
function checkedRef(ref: string | undefined): string | undefined {
  if (ref === undefined || gitRefSchema.safeParse(ref).success) return ref;
  throw new AppError(
    'invalid_argument',
    `the branch "${ref}" has characters Atelier cannot check out (it takes letters, digits, ".", "_", "-" and "/"): rename the branch`,
  );
}

const shortRef = (ref: string) => (/^[0-9a-f]{40}$/.test(ref) ? ref.slice(0, 7) : ref);

/**
 * The workspace configuration at `rev` read through the SCM's API — .gitpod.yml, devcontainer.json
 * in its places — so that the image can be chosen before anything is cloned.
 */
export async function readConfigThroughApi(api: ScmRepositoryApi, rev: string): Promise<WorkspaceConfig> {
  const [revision, listed] = await Promise.all([api.commit(rev), api.listDir(rev, '.devcontainer')]);
  if (!revision) throw notFound(api, `revision "${rev}"`);
  const named = (listed ?? [])
    .filter((e) => e.type === 'dir')
    .map((e) => `.devcontainer/${e.name}/devcontainer.json`);
  const candidates = ['.gitpod.yml', '.devcontainer.json', '.devcontainer/devcontainer.json', ...named];
  // read at the commit just resolved: a push meanwhile cannot mix two revisions' files
  const texts = await Promise.all(candidates.map((path) => api.readFile(revision, path)));
  const files = new Map<string, string>();
  candidates.forEach((path, i) => {
    const text = texts[i];
    if (text === undefined) return;
    if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) {
      throw new AppError(
        'invalid_argument',
        `${path} is ${Buffer.byteLength(text)} bytes; a configuration file may have at most ${MAX_CONFIG_BYTES}`,
      );
    }
    files.set(path, text);
  });
  // only what configCandidates would pick from a clone counts (the same order, the same names)
  const chosen = new Map(configCandidates([...files.keys()]).map((p) => [p, files.get(p) ?? '']));
  return { ...loadWorkspaceConfig(chosen), revision };
}
