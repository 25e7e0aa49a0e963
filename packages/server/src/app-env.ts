// What every request handler shares: the typed Hono environment and the server's dependencies.
import type { Repositories, SecretBox, User } from '@atelier/db';
import type {
  Config,
  GitCredentials,
  PublicUrls,
  RepositoryContext,
  WorkspaceConfig,
} from '@atelier/protocol';
import type { WorkspaceManager } from '@atelier/ws-manager';
import type { Logger } from 'pino';
import type { AuthProviderRegistry } from './scm/provider-registry.js';

/**
 * Checks that a repository can be cloned (and that `ref` exists in it) before a workspace is made,
 * and reads its workspace configuration (.gitpod.yml or devcontainer.json); an invalid file fails.
 */
export type RepositoryCheck = (
  repository: RepositoryContext,
  ref: string | undefined,
  /** the user's token for the repository's SCM, when one is linked (private repositories) */
  credentials?: GitCredentials,
) => Promise<WorkspaceConfig>;

export interface ServerDeps {
  config: Config;
  repos: Repositories;
  secrets: SecretBox;
  manager: WorkspaceManager;
  logger: Logger;
  urls: PublicUrls;
  /** the built dashboard SPA; undefined serves the API only */
  dashboardDir: string | undefined;
  clock?: () => Date;
  /** checks a repository and reads its configuration; default: `git ls-remote`, then a shallow fetch */
  checkRepository?: RepositoryCheck;
}

/** ServerDeps with the defaults filled in, and what createServer builds from them. */
export type Deps = Required<Omit<ServerDeps, 'dashboardDir'>> &
  Pick<ServerDeps, 'dashboardDir'> & {
    /** the sign-in providers: the config file's and the administrators' (read at each use) */
    authProviders: AuthProviderRegistry;
  };

/** Who made a request and with which credential. */
export interface Caller {
  user: User;
  via: 'session' | 'token' | 'workspace';
  /** with a workspace token: the workspace (and instance) it belongs to */
  workspace?: { workspaceId: string; instanceId: string };
  /** sha256 of the session token, for logout */
  sessionHash?: string;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** resolved lazily by auth.ts; null: no (valid) credential was sent */
    caller: Caller | null | undefined;
  };
}
