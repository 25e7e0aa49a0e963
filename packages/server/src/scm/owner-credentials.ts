// The workspace owner's SCM token for a clone URL, outside a request: what the image builder needs to
// read a private repository. The same providers and rules as git inside the workspace.
import type { GitCredentials, UserId } from '@atelier/protocol';
import { linkedCredentials } from './git-credentials.js';
import { AuthProviderRegistry, type RegistryDeps } from './provider-registry.js';

/** undefined when the URL's host is no configured SCM or the owner has no account linked there. */
export function ownerCredentialSource(
  deps: RegistryDeps & { clock?: () => Date },
): (ownerId: UserId, cloneUrl: string) => Promise<GitCredentials | undefined> {
  const registry = new AuthProviderRegistry(deps);
  const clock = deps.clock ?? (() => new Date());
  return async (ownerId, cloneUrl) => {
    let host: string;
    try {
      host = new URL(cloneUrl).host;
    } catch {
      return undefined; // not a URL git reaches over http(s)
    }
    if (!host) return undefined; // file://
    return (await linkedCredentials({ ...deps, clock }, await registry.list(), ownerId, host))?.credentials;
  };
}
