// The SCM API for a context's repository: a configured provider's (with the user's token), or a
// public SCM's known without configuration (anonymous).
import type { ContextRepository, ScmProviderHost } from '@atelier/protocol';
import { DEFAULT_SCM_PROVIDERS, SCM_TYPE_OF_AUTH_PROVIDER_TYPE } from '@atelier/protocol';
import type { AuthProvider } from '../providers.js';
import { azureDevOpsRepositoryApi } from './azure-devops-api.js';
import { bitbucketRepositoryApi } from './bitbucket-api.js';
import { bitbucketServerRepositoryApi } from './bitbucket-server-api.js';
import { githubRepositoryApi } from './github-api.js';
import { gitlabRepositoryApi } from './gitlab-api.js';
import type { ScmEndpoint, ScmRepositoryApi } from './scm-api.js';

export type { ScmEndpoint, ScmRepositoryApi } from './scm-api.js';

/** The hosts parseContext knows: the configured SCM providers, then the public SCMs. */
export function scmHosts(providers: readonly AuthProvider[]): ScmProviderHost[] {
  const configured = providers.flatMap((p) => {
    const type = SCM_TYPE_OF_AUTH_PROVIDER_TYPE[p.type];
    return type ? [{ host: p.host, type }] : [];
  });
  const taken = new Set(configured.map((p) => p.host));
  return [...configured, ...DEFAULT_SCM_PROVIDERS.filter((p) => !taken.has(p.host))];
}

/** The configured provider of a repository's host, if any. */
export function providerOf(
  providers: readonly AuthProvider[],
  repository: Pick<ContextRepository, 'host'>,
): AuthProvider | undefined {
  return providers.find((p) => p.type !== 'OIDC' && p.host === repository.host);
}

export function endpointOf(provider: AuthProvider | undefined, repository: ContextRepository): ScmEndpoint {
  return provider
    ? { id: provider.id, webOrigin: provider.webOrigin, host: provider.host, signIn: true }
    : { id: repository.host, webOrigin: `https://${repository.host}`, host: repository.host, signIn: false };
}

/** The API of the repository's SCM; undefined for the SCMs whose API Atelier does not call yet. */
export function repositoryApi(
  endpoint: ScmEndpoint,
  repository: ContextRepository,
  token: string | undefined,
): ScmRepositoryApi | undefined {
  switch (repository.provider) {
    case 'github':
      return githubRepositoryApi(endpoint, repository, token);
    case 'gitlab':
      return gitlabRepositoryApi(endpoint, repository, token);
    case 'bitbucket':
      return bitbucketRepositoryApi(endpoint, repository, token);
    case 'azure-devops':
      return azureDevOpsRepositoryApi(endpoint, repository, token);
    case 'bitbucket-server':
      return bitbucketServerRepositoryApi(endpoint, repository, token);
  }
}
