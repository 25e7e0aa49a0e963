// From the context the user gave to what a workspace is made of: the context parsed (any SCM URL,
// the prefixes, a plain git URL; file:// for administrators), resolved through the SCM's API with
// the user's token, and the workspace configuration read — through the API where there is one, so
// before anything is cloned; with git otherwise.
import type { User } from '@atelier/db';
import {
  AppError,
  type CreateWorkspaceRequest,
  isAppError,
  type ParsedContext,
  parseContext,
  parseContextUrl,
  type RepositoryContext,
  referrerIdeChoice,
  splitEnvPrefix,
  type WorkspaceConfig,
} from '@atelier/protocol';
import type { Deps } from '../app-env.js';
import { endpointOf, providerOf, repositoryApi, scmHosts } from '../scm/api/index.js';
import { linkedCredentials } from '../scm/git-credentials.js';
import type { AuthProvider } from '../scm/providers.js';
import { readConfigThroughApi, resolveContext, type WorkspaceSource } from '../scm/resolve-context.js';

export interface PreparedWorkspace {
  source: WorkspaceSource;
  config: WorkspaceConfig;
  /** the `VAR=value,.../` prefix's variables */
  env: Record<string, string>;
}

export async function prepareWorkspace(
  deps: Deps,
  user: User,
  request: CreateWorkspaceRequest,
): Promise<PreparedWorkspace> {
  const text = request.contextUrl.trim();
  if (/^file:/i.test(splitEnvPrefix(text).rest)) return prepareLocal(deps, user, text, request.ref);
  const providers = await deps.authProviders.list();
  const parsed = parseContext(text, scmHosts(providers));
  if (request.ref && parsed.kind !== 'repository' && parsed.kind !== 'git') {
    throw new AppError(
      'invalid_argument',
      `a ${parsed.kind} context names its own revision: leave out ref, or give the repository's URL`,
    );
  }
  if (request.ref && parsed.kind === 'repository' && (parsed.ref || parsed.refAndPath)) {
    throw new AppError('invalid_argument', 'the URL names a branch already: leave out ref');
  }
  if (parsed.kind === 'git') return prepareWithGit(deps, user, parsed, providers, request.ref);
  if (parsed.kind === 'snapshot') {
    throw new AppError(
      'failed_precondition',
      'snapshot contexts are not available on this installation yet: open the repository instead',
    );
  }
  const provider = providerOf(providers, parsed.repository);
  const endpoint = endpointOf(provider, parsed.repository);
  const linked = provider ? await linkedCredentials(deps, providers, user.id, provider.host) : undefined;
  const token = linked?.credentials.password;
  const api = repositoryApi(endpoint, parsed.repository, token);
  const source = await resolveContext(parsed, api, linked?.login ?? user.name);
  if (request.ref) source.ref = request.ref;
  applyPrefixes(source, parsed);
  const rev = request.ref ?? source.configRev;
  // a fork's pull request: its files are in the fork (the same SCM, the same token)
  const configApi = source.configRepository
    ? repositoryApi(endpoint, { ...parsed.repository, ...source.configRepository }, token)
    : api;
  const config =
    configApi && rev
      ? await readConfigThroughApi(configApi, rev)
      : await checkWithCredentials(deps, user, providers, toRepositoryContext(source), source.ref);
  return { source, config, env: parsed.env };
}

/** What the prefixes ask of the workspace itself: a fresh image build, an IDE. */
function applyPrefixes(source: WorkspaceSource, parsed: ParsedContext): void {
  if (parsed.forceImageBuild) source.context.forceImageBuild = true;
  if (parsed.referrerIde) source.context.ide = referrerIdeChoice(parsed.referrerIde);
}

/** A git URL on a host that is no SCM provider (or one whose API Atelier does not call). */
async function prepareWithGit(
  deps: Deps,
  user: User,
  parsed: Extract<ParsedContext, { kind: 'git' }>,
  providers: readonly AuthProvider[],
  ref: string | undefined,
): Promise<PreparedWorkspace> {
  const source = await resolveContext(parsed, undefined, user.name);
  source.ref = ref;
  applyPrefixes(source, parsed);
  const repository = toRepositoryContext(source);
  const config = await checkWithCredentials(deps, user, providers, repository, ref);
  return { source, config, env: parsed.env };
}

/** A file:// repository: a path on the server, for administrators where the installation allows it. */
async function prepareLocal(
  deps: Deps,
  user: User,
  text: string,
  ref: string | undefined,
): Promise<PreparedWorkspace> {
  if (!deps.config.workspace.allowLocalRepositories) {
    throw new AppError(
      'permission_denied',
      'file:// repositories are disabled on this installation (workspace.allowLocalRepositories); use an http(s) URL',
    );
  }
  if (!user.admin) {
    throw new AppError(
      'permission_denied',
      'only administrators may open file:// repositories (they are paths on the server); use an http(s) URL',
    );
  }
  const repository = parseContextUrl(text);
  const config = await deps.checkRepository(repository, ref, undefined);
  return {
    source: {
      contextUrl: repository.contextUrl,
      cloneUrl: repository.cloneUrl,
      ref,
      owner: repository.owner,
      repo: repository.repo,
      description:
        repository.owner && repository.repo
          ? `${repository.owner}/${repository.repo}`
          : repository.contextUrl,
      context: { kind: 'git' },
      configRev: undefined,
    },
    config,
    env: repository.env,
  };
}

function toRepositoryContext(source: WorkspaceSource): RepositoryContext {
  return {
    contextUrl: source.contextUrl,
    cloneUrl: source.cloneUrl,
    kind: 'http',
    owner: source.owner,
    repo: source.repo,
    env: {},
  };
}

/**
 * Checks the repository with git, with the user's token for its SCM when one is linked; without
 * one, anonymously — and a refusal then says which provider to sign in with.
 */
async function checkWithCredentials(
  deps: Deps,
  user: User,
  providers: readonly AuthProvider[],
  repository: RepositoryContext,
  ref: string | undefined,
): Promise<WorkspaceConfig> {
  const host = new URL(repository.cloneUrl).host.toLowerCase();
  const provider = providers.find((p) => p.type !== 'OIDC' && p.host === host);
  const credentials = (await linkedCredentials(deps, providers, user.id, host))?.credentials;
  try {
    return await deps.checkRepository(repository, ref, credentials);
  } catch (e) {
    if (provider && !credentials && isAppError(e) && e.code === 'invalid_argument') {
      throw new AppError(
        'invalid_argument',
        `${e.message} — if the repository is private, sign in with ${provider.id} first (your account there is not linked)`,
      );
    }
    throw e;
  }
}
