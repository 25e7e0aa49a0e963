// What the server asks an SCM's REST API about one repository before a workspace exists: the
// default branch, a pull request's branches, an issue's title, whether a name is a branch or a tag,
// a commit's full id, and the configuration files. One implementation per SCM type.
import { AppError, type ContextRepository } from '@atelier/protocol';
import type { z } from 'zod';

/** An SCM as its API is called: by configured provider, or a public one known without configuration. */
export interface ScmEndpoint {
  /** the provider's id (a configured one) or its host (a public one), for messages */
  id: string;
  /** https://github.com, http://127.0.0.1:9000 (a local test server) */
  webOrigin: string;
  /** the provider's host as configured (`github.com`, `127.0.0.1:9000`) */
  host: string;
  /** true for a provider of authProviders: the user can sign in with it (and raise scopes) */
  signIn: boolean;
}

export interface ScmRepositoryInfo {
  defaultBranch: string;
  /** https clone URL as the SCM gives it */
  cloneUrl: string;
  private: boolean;
}

export interface ScmPullRequest {
  title: string;
  /**
   * where the changes are: the branch and the repository (a fork, maybe; `repository` names it on
   * the same SCM, where the SCM says)
   */
  head: { cloneUrl: string; branch: string; sha: string; repository?: { owner: string; name: string } };
  /** where they go */
  base: { cloneUrl: string; branch: string };
}

export interface ScmDirEntry {
  name: string;
  type: 'file' | 'dir';
}

export interface ScmRepositoryApi {
  readonly endpoint: ScmEndpoint;
  repository(): Promise<ScmRepositoryInfo>;
  pullRequest(number: number): Promise<ScmPullRequest>;
  /** an issue's title; GitHub answers for a pull request's number too, and says so */
  issue(number: number): Promise<{ title: string; isPullRequest: boolean }>;
  /** the full id of a commit (abbreviated id, branch or tag name); undefined when there is none */
  commit(rev: string): Promise<string | undefined>;
  /** whether `name` is a branch, a tag or neither */
  refType(name: string): Promise<'branch' | 'tag' | undefined>;
  /** a file's text at `rev`; undefined when there is no such file */
  readFile(rev: string, path: string): Promise<string | undefined>;
  /** a folder's entries at `rev`; undefined when there is no such folder */
  listDir(rev: string, path: string): Promise<ScmDirEntry[] | undefined>;
}

/** Larger answers are refused: a configuration file or an API document is far smaller. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const TIMEOUT_MS = 15_000;

/**
 * GET requests to one SCM with the user's token (or none): 404 is "absent" (undefined), every other
 * failure an AppError that names the SCM, what was asked and what to do. The token is never part of
 * a message.
 */
export class ScmHttp {
  constructor(
    readonly endpoint: ScmEndpoint,
    private readonly token: string | undefined,
    /** what the repository is called in messages: owner/name */
    private readonly repositoryName: string,
    /** sent with every request besides accept and authorization */
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** JSON validated by `schema`; undefined on 404 (and on the statuses of `absentOn`). */
  async json<T>(
    url: string,
    schema: z.ZodType<T>,
    what: string,
    absentOn: readonly number[] = [],
  ): Promise<T | undefined> {
    const res = await this.get(url, what, 'application/json', absentOn);
    if (!res) return undefined;
    const body = await this.body(res, what);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AppError(
        'unavailable',
        `${this.endpoint.id} answered ${what} with something that is not JSON`,
      );
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new AppError(
        'unavailable',
        `${this.endpoint.id} answered ${what} in an unexpected shape (${issue?.path.join('.') || 'the answer'}: ${issue?.message ?? 'invalid'})`,
      );
    }
    return result.data;
  }

  /** The raw bytes; undefined on 404. */
  async raw(url: string, what: string, accept = '*/*'): Promise<Buffer | undefined> {
    const res = await this.get(url, what, accept, []);
    return res ? this.body(res, what) : undefined;
  }

  private async get(
    url: string,
    what: string,
    accept: string,
    absentOn: readonly number[],
  ): Promise<Response | undefined> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          ...this.headers,
          accept,
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'follow',
      });
    } catch (e) {
      throw new AppError(
        'unavailable',
        `cannot reach ${this.endpoint.id} at ${new URL(url).origin} to read ${what}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (res.ok) return res;
    await res.body?.cancel();
    if (res.status === 404 || absentOn.includes(res.status)) return undefined;
    if (res.status === 401) {
      throw new AppError(
        'permission_denied',
        this.token
          ? `${this.endpoint.id} refused your token reading ${what}: sign in with ${this.endpoint.id} again`
          : `${this.endpoint.id} wants a signed-in user to read ${what}${this.signInHint()}`,
      );
    }
    if (res.status === 403 || res.status === 429) {
      throw new AppError(
        res.status === 429 ? 'resource_exhausted' : 'permission_denied',
        `${this.endpoint.id} refused to show ${what} (${res.status}${res.status === 429 ? ': too many requests, try again later' : ''})`,
      );
    }
    throw new AppError('unavailable', `${this.endpoint.id} answered ${res.status} reading ${what}`);
  }

  private async body(res: Response, what: string): Promise<Buffer> {
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_ANSWER_BYTES) {
      await res.body?.cancel();
      throw new AppError('unavailable', `${this.endpoint.id}'s answer to ${what} is larger than 1 MiB`);
    }
    const data = Buffer.from(await res.arrayBuffer());
    if (data.length > MAX_ANSWER_BYTES) {
      throw new AppError('unavailable', `${this.endpoint.id}'s answer to ${what} is larger than 1 MiB`);
    }
    return data;
  }

  /** Something the API does not show: missing, or private and the user cannot see it. */
  notFound(what: string): AppError {
    return new AppError(
      'not_found',
      `${what} does not exist in ${this.repositoryName} on ${this.endpoint.id}, or you may not see it${this.signInHint()}`,
    );
  }

  private signInHint(): string {
    if (!this.endpoint.signIn) return '';
    return this.token
      ? ` — if it is private, grant ${this.endpoint.id} access to your private repositories`
      : ` — if it is private, sign in with ${this.endpoint.id} first`;
  }
}

/** `owner/name` (GitLab: `group/sub/name`) split at its last "/". */
export function splitFullName(fullName: string): { owner: string; name: string } | undefined {
  const slash = fullName.lastIndexOf('/');
  return slash > 0 ? { owner: fullName.slice(0, slash), name: fullName.slice(slash + 1) } : undefined;
}

/** `{ repository }` for a PR side, when its full name splits into owner and name. */
export function optionalRepository(fullName: string): { repository?: { owner: string; name: string } } {
  const repository = splitFullName(fullName);
  return repository ? { repository } : {};
}

/** `%`-encodes every segment of a path, keeping its slashes. */
export const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export type ScmApiFactory = (
  endpoint: ScmEndpoint,
  repository: ContextRepository,
  token: string | undefined,
) => ScmRepositoryApi;
