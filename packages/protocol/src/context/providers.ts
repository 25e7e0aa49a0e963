// The SCM provider list: which host is which type (gitpod.md §8.1 authProviders), and the lookup by URL.
import { z } from 'zod';
import { type ScmProviderType, scmProviderTypeSchema } from './types.js';

/** A host name, an optional port and an optional path (a provider below a path, as `1.2.3.4/gitlab`). */
const PROVIDER_HOST_RULE =
  /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?(\/[\w.~-]+)*$/;

export const scmProviderHostSchema = z.object({
  host: z
    .string()
    .regex(
      PROVIDER_HOST_RULE,
      'a provider host is a lower-case host name with an optional :port and /path, such as gitlab.example.com or 1.2.3.4/gitlab',
    ),
  type: scmProviderTypeSchema,
});
export type ScmProviderHost = z.infer<typeof scmProviderHostSchema>;

/** The public SCMs, known without configuration. */
export const DEFAULT_SCM_PROVIDERS: readonly ScmProviderHost[] = [
  { host: 'github.com', type: 'github' },
  { host: 'gitlab.com', type: 'gitlab' },
  { host: 'bitbucket.org', type: 'bitbucket' },
  { host: 'dev.azure.com', type: 'azure-devops' },
];

/** Gitpod's `authProviders[].type` names (gitpod.md §8.1) mapped to ours. */
export const SCM_TYPE_OF_AUTH_PROVIDER_TYPE: Readonly<Record<string, ScmProviderType>> = {
  GitHub: 'github',
  GitLab: 'gitlab',
  Bitbucket: 'bitbucket',
  BitbucketServer: 'bitbucket-server',
  AzureDevOps: 'azure-devops',
};

/** The names users know, for messages. */
export const SCM_PROVIDER_NAMES: Readonly<Record<ScmProviderType, string>> = {
  github: 'GitHub',
  gitlab: 'GitLab',
  bitbucket: 'Bitbucket',
  'bitbucket-server': 'Bitbucket Server',
  'azure-devops': 'Azure DevOps',
};

export interface ProviderMatch {
  provider: ScmProviderHost;
  /** the path segments after the provider's own path */
  rest: string[];
}

/**
 * The provider of a web URL: its host (with port) is the provider's and its path starts with the
 * provider's path; of several, the one with the longest path (`example.com/gitlab` before
 * `example.com`). Host names compare without regard to case, path segments exactly.
 */
export function findWebProvider(
  providers: readonly ScmProviderHost[],
  host: string,
  segments: readonly string[],
): ProviderMatch | undefined {
  let best: ProviderMatch | undefined;
  let bestDepth = -1;
  for (const provider of providers) {
    const [providerHost = '', ...providerPath] = provider.host.split('/');
    if (providerHost.toLowerCase() !== host.toLowerCase()) continue;
    if (!providerPath.every((s, i) => segments[i] === s)) continue;
    if (providerPath.length > bestDepth) {
      best = { provider, rest: segments.slice(providerPath.length) };
      bestDepth = providerPath.length;
    }
  }
  return best;
}

/**
 * The provider of an ssh clone URL. Its path is not the web path (no `/gitlab` of a provider
 * below a path, no port), so the host name decides: a provider on exactly that host, else the only
 * provider on it; Azure DevOps serves ssh on `ssh.<host>` (`git@ssh.dev.azure.com:v3/org/project/repo`).
 */
export function findSshProvider(
  providers: readonly ScmProviderHost[],
  hostname: string,
): ScmProviderHost | undefined {
  const name = hostname.toLowerCase();
  const onHost = providers.filter((p) => p.host.toLowerCase().split(/[:/]/)[0] === name);
  const exact = onHost.find((p) => p.host.toLowerCase() === name);
  if (exact) return exact;
  if (onHost.length === 1) return onHost[0];
  return providers.find((p) => p.type === 'azure-devops' && `ssh.${p.host.toLowerCase()}` === name);
}
