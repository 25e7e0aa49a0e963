// The JSON of fake-bitbucket-server's REST API 1.0: users, projects (personal ones too), repositories,
// commits, branches, pages of a list, paths and errors, with the field names Bitbucket documents.
import type { CommitInfo } from './repos.js';
import type { ApiRequest, Caller, FakeCore, Reply, RepoRecord } from './server.js';

/** Bitbucket's error body: `{errors: [{context, message, exceptionName}]}`. */
export const bbsError = (status: number, exception: string, message: string): Reply => ({
  status,
  body: { errors: [{ context: null, message, exceptionName: `com.atlassian.bitbucket.${exception}` }] },
});

/** A user's slug, the name in URLs: the user name in lower case, any character but a-z 0-9 . _ - as "_". */
export const slugOf = (login: string) => login.toLowerCase().replace(/[^a-z0-9._-]/g, '_');

export function userJson(core: FakeCore, login: string) {
  const user = core.user(login);
  const slug = slugOf(login);
  return {
    name: login,
    emailAddress: user?.email ?? null,
    id: user?.id ?? 0,
    displayName: user?.name ?? login,
    active: true,
    slug,
    type: 'NORMAL',
    links: { self: [{ href: `${core.url}/users/${slug}` }] },
  };
}

/** A project (`PROJ`) or a user's personal project (`~ADA`, owned by ada). */
export function projectJson(core: FakeCore, owner: string) {
  const key = owner.toUpperCase();
  const id = [...new Set(core.repos.map((r) => r.spec.owner.toUpperCase()))].indexOf(key) + 1;
  if (owner.startsWith('~')) {
    const login = owner.slice(1);
    return {
      key,
      id,
      name: core.user(login)?.name ?? login,
      type: 'PERSONAL',
      owner: userJson(core, login),
      links: { self: [{ href: `${core.url}/users/${slugOf(login)}` }] },
    };
  }
  return {
    key,
    id,
    name: owner,
    public: false,
    type: 'NORMAL',
    links: { self: [{ href: `${core.url}/projects/${key}` }] },
  };
}

/** The https clone link names the signed-in user, as Bitbucket's does (`http://ada@host/scm/…`). */
export function repoJson(core: FakeCore, repo: RepoRecord, caller: Caller | undefined) {
  const { owner, name } = repo.spec;
  const page = owner.startsWith('~')
    ? `${core.url}/users/${slugOf(owner.slice(1))}/repos/${name}`
    : `${core.url}/projects/${owner.toUpperCase()}/repos/${name}`;
  const origin = caller ? core.url.replace('://', `://${encodeURIComponent(caller.login)}@`) : core.url;
  return {
    slug: name,
    id: repo.id,
    name,
    hierarchyId: repo.id.toString(16).padStart(20, '0'),
    scmId: 'git',
    state: 'AVAILABLE',
    statusMessage: 'Available',
    forkable: true,
    project: projectJson(core, owner),
    public: !repo.spec.private,
    archived: false,
    links: {
      // SSH is off on this instance, as an administrator may leave it: only the http link
      clone: [{ href: `${origin}/scm/${owner.toLowerCase()}/${name}.git`, name: 'http' }],
      self: [{ href: `${page}/browse` }],
    },
  };
}

function person(core: FakeCore, name: string, email: string) {
  const user = core.spec.users.find((u) => u.email === email);
  return user ? userJson(core, user.login) : { name, emailAddress: email };
}

export function commitJson(core: FakeCore, c: CommitInfo) {
  return {
    id: c.sha,
    displayId: c.sha.slice(0, 11),
    author: person(core, c.authorName, c.authorEmail),
    authorTimestamp: Date.parse(c.authorDate),
    committer: person(core, c.committerName, c.committerEmail),
    committerTimestamp: Date.parse(c.committerDate),
    message: c.message,
    parents: c.parents.map((id) => ({ id, displayId: id.slice(0, 11) })),
  };
}

export const branchJson = (repo: RepoRecord, name: string, sha: string) => ({
  id: `refs/heads/${name}`,
  displayId: name,
  type: 'BRANCH',
  latestCommit: sha,
  latestChangeset: sha,
  isDefault: name === repo.defaultBranch,
});

/** One page of a list: `start` and `limit` as Bitbucket takes them (25 by default). */
export function paged<T>(req: ApiRequest, all: T[]) {
  const start = Math.max(0, Number(req.query.get('start') ?? 0) || 0);
  const limit = Math.min(1000, Math.max(1, Number(req.query.get('limit') ?? 25) || 25));
  const values = all.slice(start, start + limit);
  const isLastPage = start + values.length >= all.length;
  return {
    size: values.length,
    limit,
    isLastPage,
    start,
    values,
    ...(!isLastPage && { nextPageStart: start + values.length }),
  };
}

/** A path as Bitbucket spells it out: components, parent, name, extension and the whole. */
export const pathJson = (path: string) => {
  const components = path.split('/').filter(Boolean);
  const name = components.at(-1) ?? '';
  const dot = name.lastIndexOf('.');
  return {
    components,
    parent: components.slice(0, -1).join('/'),
    name,
    ...(dot > 0 && { extension: name.slice(dot + 1) }),
    toString: components.join('/'),
  };
};
