// The context-URL table (gitpod.md §5): one row per URL, with its exact result or its exact error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseContext } from './parse.js';
import { DEFAULT_SCM_PROVIDERS, type ScmProviderHost } from './providers.js';
import {
  type ContextPrefixes,
  type ContextRepository,
  type ContextTarget,
  type ParsedContext,
  parsedContextSchema,
} from './types.js';

/** The public SCMs and the self-hosted ones a company might configure. */
const PROVIDERS: readonly ScmProviderHost[] = [
  ...DEFAULT_SCM_PROVIDERS,
  { host: 'gitlab.example.com', type: 'gitlab' },
  { host: '1.2.3.4/gitlab', type: 'gitlab' },
  { host: 'bitbucket.example.com', type: 'bitbucket-server' },
  { host: 'github.example.com:8443', type: 'github' },
];

type RepositoryTarget = Extract<ContextTarget, { kind: 'repository' }>;
/** What a row adds to "no prefixes, normalizedContextUrl = the input". */
type Extra = Partial<ContextPrefixes> & { normalizedContextUrl?: string };
/** input, then the target or the error message, then what differs from the row's defaults */
type Row = [string, ContextTarget | string, Extra?];

const at = (repository: ContextRepository, more: Omit<RepositoryTarget, 'kind' | 'repository'> = {}) => ({
  kind: 'repository' as const,
  repository,
  ...more,
});
const pr = (repository: ContextRepository, n: number) => ({
  kind: 'pull-request' as const,
  repository,
  number: n,
});
const issue = (repository: ContextRepository, n: number) => ({
  kind: 'issue' as const,
  repository,
  number: n,
});
const commit = (repository: ContextRepository, sha: string, path?: string) => ({
  kind: 'commit' as const,
  repository,
  sha,
  ...(path ? { path } : {}),
});
const git = (host: string, cloneUrl: string) => ({ kind: 'git' as const, host, cloneUrl });
const norm = (normalizedContextUrl: string): Extra => ({ normalizedContextUrl });
const unknown = (name: string) => ({ ref: { name, type: 'unknown' as const } });

const GP: ContextRepository = {
  provider: 'github',
  host: 'github.com',
  owner: 'gitpod-io',
  name: 'gitpod',
  cloneUrl: 'https://github.com/gitpod-io/gitpod.git',
};
const GHE: ContextRepository = {
  provider: 'github',
  host: 'github.example.com:8443',
  owner: 'team',
  name: 'app',
  cloneUrl: 'https://github.example.com:8443/team/app.git',
};
const gitlab = (host: string, owner: string, name: string, cloneUrl: string): ContextRepository => ({
  provider: 'gitlab',
  host,
  owner,
  name,
  cloneUrl,
});
const GL_ORG = gitlab('gitlab.com', 'gitlab-org', 'gitlab', 'https://gitlab.com/gitlab-org/gitlab.git');
const GL_NESTED = gitlab('gitlab.com', 'group/sub', 'project', 'https://gitlab.com/group/sub/project.git');
const GL_FLAT = gitlab('gitlab.com', 'group', 'project', 'https://gitlab.com/group/project.git');
const GL_SELF = gitlab('gitlab.example.com', 'team', 'app', 'https://gitlab.example.com/team/app.git');
const GL_ON_PATH = gitlab('1.2.3.4/gitlab', 'group', 'project', 'https://1.2.3.4/gitlab/group/project.git');
const BB: ContextRepository = {
  provider: 'bitbucket',
  host: 'bitbucket.org',
  owner: 'ws',
  name: 'repo',
  cloneUrl: 'https://bitbucket.org/ws/repo.git',
};
const bbs = (owner: string, name: string, cloneUrl: string): ContextRepository => ({
  provider: 'bitbucket-server',
  host: 'bitbucket.example.com',
  owner,
  name,
  cloneUrl,
});
const BBS = bbs('FOO', 'bar', 'https://bitbucket.example.com/scm/foo/bar.git');
const BBS_USER = bbs('~alice', 'dotfiles', 'https://bitbucket.example.com/scm/~alice/dotfiles.git');
const azure = (owner: string, name: string, cloneUrl: string): ContextRepository => ({
  provider: 'azure-devops',
  host: 'dev.azure.com',
  owner,
  name,
  cloneUrl,
});
const AZ = azure('acme/web', 'shop', 'https://dev.azure.com/acme/web/_git/shop');

const SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const UUID = '0b3a5c1e-4f2d-4c8a-9e7b-1d2f3a4b5c6d';
const GH = 'https://github.com/gitpod-io/gitpod';
const BBS_HOST = 'https://bitbucket.example.com';
const BBS_URL = `${BBS_HOST}/projects/FOO/repos/bar`;
const AZ_URL = 'https://dev.azure.com/acme/web/_git/shop';
const LONGEST = `${GH}/tree/${'a'.repeat(4096 - GH.length - 6)}`;
const NOT_A_CONTEXT =
  'give a repository URL such as https://github.com/owner/repo or git@host:owner/repo.git';
const CREDENTIALS =
  'remove the user name and password from the context URL: credentials are not stored (sign in to the SCM provider instead)';
const WHOLE = 'write a positive whole number';
const NAME_CHARS = 'use letters, digits, ".", "_" and "-"';
const ENV_INSTEAD = 'set it in the configuration file or as a user variable instead';

// biome-ignore format: one row per line reads as a table
const GITHUB: Row[] = [
  [GH, at(GP)],
  ['github.com/gitpod-io/gitpod', at(GP), norm(GH)],
  ['http://github.com/gitpod-io/gitpod/', at(GP), norm('http://github.com/gitpod-io/gitpod')],
  [`${GH}.git`, at(GP)],
  ['https://GitHub.com/gitpod-io/gitpod', at(GP), norm(GH)],
  [`${GH}?tab=readme-ov-file`, at(GP)],
  [`${GH}/pull/4711`, pr(GP, 4711)],
  [`${GH}/pull/4711/files`, pr(GP, 4711)],
  [`${GH}/tree/main`, at(GP, unknown('main'))],
  [`${GH}/tree/feature/login/components/server`, at(GP, { refAndPath: ['feature', 'login', 'components', 'server'] })],
  [`${GH}/blob/main/README.md#L10`, at(GP, { refAndPath: ['main', 'README.md'] }), norm(`${GH}/blob/main/README.md`)],
  [`${GH}/commits/main`, at(GP, unknown('main'))],
  [`${GH}/tree/feature%2Fx`, at(GP, unknown('feature/x'))],
  [`${GH}/tree/m%C3%A4rz`, at(GP, unknown('märz'))],
  [`${GH}/tree/${SHA}`, at(GP, unknown(SHA))],
  [`${GH}/releases/tag/v1.2.3`, at(GP, { ref: { name: 'v1.2.3', type: 'tag' } })],
  [`${GH}/releases/tag/release/2024`, at(GP, { ref: { name: 'release/2024', type: 'tag' } })],
  [`${GH}/releases`, at(GP)],
  [`${GH}/issues/42`, issue(GP, 42)],
  [`${GH}/issues`, at(GP)],
  [`${GH}/commit/${SHA.toUpperCase()}`, commit(GP, SHA)],
  [`${GH}/commit/abc1234`, commit(GP, 'abc1234')],
  [`${GH}/actions`, at(GP)],
  ['git@github.com:gitpod-io/gitpod.git', at(GP), norm(`${GH}.git`)],
  ['ssh://git@github.com/gitpod-io/gitpod.git', at(GP), norm(`${GH}.git`)],
  ['https://github.example.com:8443/team/app/pull/3', pr(GHE, 3)],
  ['git@github.example.com:team/app.git', at(GHE), norm('https://github.example.com:8443/team/app.git')],
  ['https://github.com/gitpod-io', 'https://github.com/gitpod-io: a GitHub URL needs owner and repository, such as https://github.com/owner/repo'],
  ['github.com', 'github.com: a GitHub URL needs owner and repository, such as https://github.com/owner/repo'],
  [`${GH}/pull/abc`, `${GH}/pull/abc: "abc" is not a pull request number: ${WHOLE}`],
  [`${GH}/pull/0`, `${GH}/pull/0: "0" is not a pull request number: ${WHOLE}`],
  [`${GH}/issues/-1`, `${GH}/issues/-1: "-1" is not an issue number: ${WHOLE}`],
  [`${GH}/commit/abc12`, `${GH}/commit/abc12: "abc12" is not a commit SHA: write 7 to 40 hexadecimal digits`],
  [`${GH}/commit/xyz1234`, `${GH}/commit/xyz1234: "xyz1234" is not a commit SHA: write 7 to 40 hexadecimal digits`],
  ['https://github.com/gitpod%20io/gitpod', `https://github.com/gitpod%20io/gitpod: "gitpod io" is not a valid GitHub owner name: ${NAME_CHARS}`],
  [`${GH}/tree/%E0%A4%A`, `${GH}/tree/%E0%A4%A: "%E0%A4%A" has a malformed %-escape: write % as %25`],
  [`${GH}/tree/main/..%2F..%2Fetc`, `${GH}/tree/main/..%2F..%2Fetc: "." and ".." may not appear in the path: name the folder itself`],
  [`${GH}/tree/%00`, `${GH}/tree/%00: a path segment holds a control character: remove it`],
  [LONGEST, at(GP, unknown('a'.repeat(4096 - GH.length - 6)))],
  [`${LONGEST}b`, 'the context URL has 4097 characters, more than the 4096 accepted: shorten it'],
];

const NEEDS_GROUP =
  'a GitLab URL needs a group and a project, such as https://gitlab.com/group/project (or group/subgroup/project)';
// biome-ignore format: one row per line reads as a table
const GITLAB: Row[] = [
  ['https://gitlab.com/gitlab-org/gitlab', at(GL_ORG)],
  ['https://gitlab.com/group/sub/project', at(GL_NESTED)],
  ['gitlab.com/a/b/c/d/project.git', at(gitlab('gitlab.com', 'a/b/c/d', 'project', 'https://gitlab.com/a/b/c/d/project.git')), norm('https://gitlab.com/a/b/c/d/project.git')],
  ['https://gitlab.com/group/sub/project/-/tree/main', at(GL_NESTED, unknown('main'))],
  ['https://gitlab.com/group/sub/project/-/blob/main/src/index.ts?ref_type=heads', at(GL_NESTED, { refAndPath: ['main', 'src', 'index.ts'] })],
  ['https://gitlab.com/group/project/tree/wip', at(GL_FLAT, unknown('wip'))],
  ['https://gitlab.com/group/sub/project/-/commits/release/1.0', at(GL_NESTED, { refAndPath: ['release', '1.0'] })],
  ['https://gitlab.com/group/sub/project/-/merge_requests/17', pr(GL_NESTED, 17)],
  ['https://gitlab.com/group/project/merge_requests/17', pr(GL_FLAT, 17)],
  ['https://gitlab.com/group/project/-/issues/8', issue(GL_FLAT, 8)],
  [`https://gitlab.com/group/project/-/commit/${SHA}`, commit(GL_FLAT, SHA)],
  ['https://gitlab.com/group/project/-/pipelines', at(GL_FLAT)],
  ['https://gitlab.com/group/tree', at(gitlab('gitlab.com', 'group', 'tree', 'https://gitlab.com/group/tree.git'))],
  ['git@gitlab.com:group/sub/project.git', at(GL_NESTED), norm('https://gitlab.com/group/sub/project.git')],
  ['https://gitlab.example.com/team/app/-/merge_requests/5/diffs', pr(GL_SELF, 5)],
  ['https://1.2.3.4/gitlab/group/project/-/tree/main', at(GL_ON_PATH, unknown('main'))],
  ['1.2.3.4/gitlab/group/sub/project', at(gitlab('1.2.3.4/gitlab', 'group/sub', 'project', 'https://1.2.3.4/gitlab/group/sub/project.git')), norm('https://1.2.3.4/gitlab/group/sub/project')],
  ['git@1.2.3.4:group/project.git', at(GL_ON_PATH), norm('https://1.2.3.4/gitlab/group/project.git')],
  ['https://1.2.3.4/other/repo.git', git('1.2.3.4', 'https://1.2.3.4/other/repo.git')],
  ['https://gitlab.com/project', `https://gitlab.com/project: ${NEEDS_GROUP}`],
  ['https://gitlab.com/group/-/tree/main', `https://gitlab.com/group/-/tree/main: ${NEEDS_GROUP}`],
  ['https://gitlab.com/group/project/-/merge_requests/new', `https://gitlab.com/group/project/-/merge_requests/new: "new" is not a merge request number: ${WHOLE}`],
];

// biome-ignore format: one row per line reads as a table
const BITBUCKET: Row[] = [
  ['https://bitbucket.org/ws/repo', at(BB)],
  ['https://bitbucket.org/ws/repo/src', at(BB)],
  ['https://bitbucket.org/ws/repo/src/main', at(BB, unknown('main'))],
  ['https://bitbucket.org/ws/repo/src/main/docs/README.md', at(BB, { refAndPath: ['main', 'docs', 'README.md'] })],
  [`https://bitbucket.org/ws/repo/src/${SHA}/README.md?at=main`, at(BB, { refAndPath: [SHA, 'README.md'] })],
  ['https://bitbucket.org/ws/repo/branch/feature/login', at(BB, { ref: { name: 'feature/login', type: 'branch' } })],
  ['https://bitbucket.org/ws/repo/commits/0a1b2c3d', commit(BB, '0a1b2c3d')],
  ['https://bitbucket.org/ws/repo/commits/tag/v1.0', at(BB, { ref: { name: 'v1.0', type: 'tag' } })],
  ['https://bitbucket.org/ws/repo/commits/branch/develop', at(BB, { ref: { name: 'develop', type: 'branch' } })],
  ['https://bitbucket.org/ws/repo/commits', at(BB)],
  ['https://bitbucket.org/ws/repo/pull-requests/12/diff', pr(BB, 12)],
  ['https://bitbucket.org/ws/repo/issues/3/some-title-slug', issue(BB, 3)],
  ['git@bitbucket.org:ws/repo.git', at(BB), norm('https://bitbucket.org/ws/repo.git')],
  ['https://bitbucket.org/ws', 'https://bitbucket.org/ws: a Bitbucket URL needs workspace and repository, such as https://bitbucket.org/workspace/repo'],
  ['https://bitbucket.org/ws/repo/pull-requests/twelve', `https://bitbucket.org/ws/repo/pull-requests/twelve: "twelve" is not a pull request number: ${WHOLE}`],
  ['https://bitbucket.org/ws/repo/commits/zzzzzzz', 'https://bitbucket.org/ws/repo/commits/zzzzzzz: "zzzzzzz" is not a commit SHA: write 7 to 40 hexadecimal digits'],
];

const BBS_LAYOUT = `a Bitbucket Server URL names a repository as ${BBS_HOST}/projects/KEY/repos/repo, ${BBS_HOST}/users/user/repos/repo or ${BBS_HOST}/scm/key/repo.git`;
// biome-ignore format: one row per line reads as a table
const BITBUCKET_SERVER: Row[] = [
  [BBS_URL, at(BBS)],
  [`${BBS_HOST}/projects/foo/repos/bar/browse`, at(BBS)],
  [`${BBS_URL}/browse?at=refs%2Fheads%2Ffeature%2Fx`, at(BBS, { ref: { name: 'feature/x', type: 'branch' } })],
  [`${BBS_URL}/browse/src/main.ts?at=refs/tags/v2.0`, at(BBS, { ref: { name: 'v2.0', type: 'tag' }, path: 'src/main.ts' })],
  [`${BBS_URL}/browse?at=develop`, at(BBS, unknown('develop'))],
  [`${BBS_HOST}/users/alice/repos/dotfiles/browse`, at(BBS_USER)],
  [`${BBS_HOST}/scm/foo/bar.git`, at(BBS)],
  [`${BBS_HOST}/scm/~alice/dotfiles.git`, at(BBS_USER)],
  [`${BBS_URL}/pull-requests/7/overview`, pr(BBS, 7)],
  [`${BBS_URL}/commits/${SHA}`, commit(BBS, SHA)],
  [`${BBS_URL}/commits?until=refs%2Fheads%2Frelease`, at(BBS, { ref: { name: 'release', type: 'branch' } })],
  ['ssh://git@bitbucket.example.com:7999/foo/bar.git', at(BBS), norm(`${BBS_HOST}/scm/foo/bar.git`)],
  [`${BBS_HOST}/projects/FOO/bar`, `${BBS_HOST}/projects/FOO/bar: ${BBS_LAYOUT}`],
  [`${BBS_HOST}/projects/1FOO/repos/bar`, `${BBS_HOST}/projects/1FOO/repos/bar: "1FOO" is not a Bitbucket Server project key: it starts with a letter, followed by letters, digits and "_"`],
  [`${BBS_URL}/pull-requests/x1`, `${BBS_URL}/pull-requests/x1: "x1" is not a pull request number: ${WHOLE}`],
];

// biome-ignore format: one row per line reads as a table
const AZURE: Row[] = [
  [AZ_URL, at(AZ)],
  ['https://dev.azure.com/acme/_git/shop', at(azure('acme/shop', 'shop', 'https://dev.azure.com/acme/shop/_git/shop'))],
  ['https://dev.azure.com/acme/My%20Project/_git/My%20Repo', at(azure('acme/My Project', 'My Repo', 'https://dev.azure.com/acme/My%20Project/_git/My%20Repo'))],
  [`${AZ_URL}?version=GBfeature%2Fcart`, at(AZ, { ref: { name: 'feature/cart', type: 'branch' } })],
  [`${AZ_URL}?path=/src/app.ts&version=GTv1.0`, at(AZ, { ref: { name: 'v1.0', type: 'tag' }, path: 'src/app.ts' })],
  [`${AZ_URL}?path=%2F&version=GBmain&_a=contents`, at(AZ, { ref: { name: 'main', type: 'branch' } })],
  [`${AZ_URL}/pullrequest/31`, pr(AZ, 31)],
  [`${AZ_URL}/commit/${SHA}?refName=refs%2Fheads%2Fdevelop`, commit(AZ, SHA)],
  [`${AZ_URL}?version=GC4c47246a&path=/README.md`, commit(AZ, '4c47246a', 'README.md')],
  ['git@ssh.dev.azure.com:v3/acme/web/shop', at(AZ), norm(AZ_URL)],
  ['https://dev.azure.com/acme/web', 'https://dev.azure.com/acme/web: an Azure DevOps URL names a repository as https://dev.azure.com/organization/project/_git/repository'],
  [`${AZ_URL}?version=XYmain`, `${AZ_URL}?version=XYmain: ?version=XYmain is no Azure DevOps version: write GB<branch>, GT<tag> or GC<commit SHA>`],
  [`${AZ_URL}/pullrequest/abc`, `${AZ_URL}/pullrequest/abc: "abc" is not a pull request number: ${WHOLE}`],
];

// biome-ignore format: one row per line reads as a table
const PLAIN_GIT: Row[] = [
  ['https://git.sr.ht/~sircmpwn/scdoc', git('git.sr.ht', 'https://git.sr.ht/~sircmpwn/scdoc')],
  ['http://127.0.0.1:9000/hello.git/', git('127.0.0.1:9000', 'http://127.0.0.1:9000/hello.git'), norm('http://127.0.0.1:9000/hello.git')],
  ['gitea.example.com/team/app.git', git('gitea.example.com', 'https://gitea.example.com/team/app.git'), norm('https://gitea.example.com/team/app.git')],
  ['localhost:3000/team/app.git', git('localhost:3000', 'https://localhost:3000/team/app.git'), norm('https://localhost:3000/team/app.git')],
  ['https://gitea.example.com/team/app.git#readme', git('gitea.example.com', 'https://gitea.example.com/team/app.git'), norm('https://gitea.example.com/team/app.git')],
  ['git@gitea.example.com:team/app.git', git('gitea.example.com', 'git@gitea.example.com:team/app.git')],
  ['ssh://git@gitea.example.com:2222/team/app.git', git('gitea.example.com', 'ssh://git@gitea.example.com:2222/team/app.git')],
  ['ssh://Git.Example.org/srv/repo.git/', git('git.example.org', 'ssh://git.example.org/srv/repo.git'), norm('ssh://git.example.org/srv/repo.git')],
  ['https://gitea.example.com/team/app.git?ref=main', 'https://gitea.example.com/team/app.git?ref=main: a git repository URL has no query (?…): remove it'],
  ['https://gitea.example.com/', 'https://gitea.example.com/ names a host but no repository: add its path, such as https://host/owner/repo.git'],
  ['git@gitea.example.com:team/app.git?x=1', '"git@gitea.example.com:team/app.git?x=1": an ssh clone URL has no query (?…) or fragment (#…): remove it'],
  ['ssh://git@gitea.example.com/team/app.git#x', '"ssh://git@gitea.example.com/team/app.git#x": an ssh clone URL has no query (?…) or fragment (#…): remove it'],
  ['owner/repo', `"owner/repo" is not a context URL: ${NOT_A_CONTEXT}`],
  ['hello', `"hello" is not a context URL: ${NOT_A_CONTEXT}`],
  ['https://[::1/repo', `"https://[::1/repo" is not a context URL: ${NOT_A_CONTEXT}`],
];

const REFERRER_FORM =
  'write the referrer prefix as referrer:<name>/<context> or referrer:<name>:<ide>/<context>; a name holds letters, digits, ".", "_" and "-"';
// biome-ignore format: one row per line reads as a table
const PREFIXES: Row[] = [
  [`FOO=bar/${GH}`, at(GP), { env: { FOO: 'bar' }, ...norm(GH) }],
  ['A=1,B_2=x-y.z/github.com/gitpod-io/gitpod/pull/1', pr(GP, 1), { env: { A: '1', B_2: 'x-y.z' }, ...norm(`${GH}/pull/1`) }],
  [`referrer:chrome-extension/${GH}`, at(GP), { referrer: 'chrome-extension', ...norm(GH) }],
  ['referrer:jetbrains-gateway:intellij/github.com/gitpod-io/gitpod', at(GP), { referrer: 'jetbrains-gateway', referrerIde: 'intellij', ...norm(GH) }],
  [`imagebuild/${GH}`, at(GP), { forceImageBuild: true, ...norm(GH) }],
  [`open-prebuild/${UUID.toUpperCase()}/github.com/gitpod-io/gitpod`, at(GP), { openPrebuildId: UUID, ...norm(GH) }],
  [`snapshot/${UUID}`, { kind: 'snapshot', snapshotId: UUID }],
  ['FOO=bar/referrer:vscode/imagebuild/https://gitlab.com/group/project', at(GL_FLAT), { env: { FOO: 'bar' }, referrer: 'vscode', forceImageBuild: true, ...norm('https://gitlab.com/group/project') }],
  ['imagebuild/FOO=bar/git@github.com:gitpod-io/gitpod.git', at(GP), { env: { FOO: 'bar' }, forceImageBuild: true, ...norm(`${GH}.git`) }],
  [`referrer:x/FOO=1/snapshot/${UUID}`, { kind: 'snapshot', snapshotId: UUID }, { referrer: 'x', env: { FOO: '1' }, ...norm(`snapshot/${UUID}`) }],
  [`LD_PRELOAD=evil.so/${GH}`, `LD_PRELOAD cannot be set from the context URL: variables named LD_* are blocked (they configure runtimes and tools); ${ENV_INSTEAD}`],
  [`PATH=x/${GH}`, `PATH cannot be set from the context URL: it makes shells or programs run code; ${ENV_INSTEAD}`],
  [`NODE_OPTIONS=x/${GH}`, `NODE_OPTIONS cannot be set from the context URL: variables named NODE_* are blocked (they configure runtimes and tools); ${ENV_INSTEAD}`],
  [`GITPOD_TOKEN=x/${GH}`, 'GITPOD_TOKEN cannot be set from the context URL: variables named GITPOD_*, ATELIER_* and SUPERVISOR_* are set by Atelier itself'],
  [`FOO=$(id)/${GH}`, `the value of FOO in the context URL may hold only letters, digits, "_", "-", ".", "?" and "="; ${ENV_INSTEAD}`],
  [`FOO=1/BAR=2/${GH}`, 'the VAR=value/ prefix appears twice in the context URL: list every variable in one, VAR1=a,VAR2=b/'],
  [`referrer:/${GH}`, REFERRER_FORM],
  [`referrer:a:b:c/${GH}`, REFERRER_FORM],
  [`imagebuild/imagebuild/${GH}`, 'the imagebuild/ prefix appears twice in the context URL: keep one'],
  ['imagebuild/', 'the imagebuild/ prefix must be followed by a context, such as https://github.com/owner/repo'],
  [`open-prebuild/123/${GH}`, `write the open-prebuild prefix as open-prebuild/<prebuild id>/<context>, the id a UUID such as ${UUID}`],
  ['snapshot/not-a-uuid', `"snapshot/not-a-uuid": a snapshot id is a UUID, such as snapshot/${UUID}`],
  [`prebuild/${GH}`, 'the prebuild/ prefix is gone: prebuilds are used automatically, so open the context without it'],
];

const EMPTY = 'the context URL is empty: give a repository URL such as https://github.com/owner/repo';
const SCHEMES = 'in the context URL: use https://, http://, ssh:// or git@host:owner/repo';
// biome-ignore format: one row per line reads as a table
const MALFORMED: Row[] = [
  ['', EMPTY],
  ['   ', EMPTY],
  ['https://github.com/git pod/x', 'the context URL holds white space or control characters: write a space in a name as %20'],
  ['javascript:alert(1)', `unsupported scheme "javascript:" ${SCHEMES}`],
  ['JavaScript://%0Aalert(1)', `unsupported scheme "javascript:" ${SCHEMES}`],
  ['https:github.com/gitpod-io/gitpod', '"https:github.com/gitpod-io/gitpod" is not a context URL: write https:// before the host'],
  ['file:///srv/git/repo', `unsupported scheme "file:" ${SCHEMES}`],
  ['ftp://example.com/repo.git', `unsupported scheme "ftp:" ${SCHEMES}`],
  ['https://user:secret@github.com/gitpod-io/gitpod', CREDENTIALS],
  ['https://ghp_token@github.com/gitpod-io/gitpod', CREDENTIALS],
  ['user:secret@github.com/gitpod-io/gitpod', CREDENTIALS],
  ['ssh://git:secret@example.com/repo.git', CREDENTIALS],
];

function expectedOf(input: string, target: ContextTarget, extra: Extra = {}): ParsedContext {
  return { ...target, env: {}, forceImageBuild: false, normalizedContextUrl: input.trim(), ...extra };
}

const TABLES: [string, Row[]][] = [
  ['GitHub', GITHUB],
  ['GitLab', GITLAB],
  ['Bitbucket Cloud', BITBUCKET],
  ['Bitbucket Server', BITBUCKET_SERVER],
  ['Azure DevOps', AZURE],
  ['plain git', PLAIN_GIT],
  ['prefixes', PREFIXES],
  ['malformed', MALFORMED],
];

for (const [name, rows] of TABLES) {
  describe(`parseContext: ${name}`, () => {
    for (const [input, expected, extra] of rows) {
      const title = `${JSON.stringify(input.length > 90 ? `${input.slice(0, 90)}…` : input)}`;
      test(title, () => {
        if (typeof expected === 'string') {
          assert.throws(() => parseContext(input, PROVIDERS), {
            name: 'AppError',
            code: 'invalid_argument',
            message: expected,
          });
          return;
        }
        const parsed = parseContext(input, PROVIDERS);
        assert.deepEqual(parsed, expectedOf(input, expected, extra));
        // plain JSON that the API schema accepts unchanged
        assert.deepEqual(parsedContextSchema.parse(JSON.parse(JSON.stringify(parsed))), parsed);
      });
    }
  });
}

test('the table has a row for every form (at least 80)', () => {
  assert.ok(TABLES.reduce((n, [, rows]) => n + rows.length, 0) >= 80);
});
