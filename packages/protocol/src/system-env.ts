// The variables every workspace gets (reference/gitpod.md §4): the GITPOD_* names that existing
// .gitpod.yml tasks and tools read, each with an ATELIER_* twin. They are set last, over the user's.
import { dashboardUrl, type PublicUrls, workspaceUrl } from './urls.js';
import type { TaskConfig, WorkspaceConfig } from './workspace-config/types.js';

export interface SystemEnvInput {
  workspaceId: string;
  instanceId: string;
  ownerId: string;
  urls: PublicUrls;
  /** the context URL without its prefixes (Gitpod's normalizedContextURL) */
  contextUrl: string;
  cloneUrl: string;
  ref: string | null;
  owner: string | undefined;
  repo: string | undefined;
  /** absolute path of the checkout, below /workspace */
  checkoutLocation: string;
  /** what the IDE opens, relative to /workspace; the checkout when absent */
  workspaceLocation: string | undefined;
  tasks: readonly TaskConfig[];
  memoryBytes: number;
  cpu: number;
  coreDump: WorkspaceConfig['coreDump'];
}

/** `ws.<domain>[:port]`: the suffix of every workspace and port host name. */
export function workspaceClusterHost(urls: PublicUrls): string {
  return new URL(workspaceUrl(urls, 'x')).host.replace(/^x\./, '');
}

/** GITPOD_* variables and, for each, its ATELIER_* twin (THEIA_WORKSPACE_ROOT: ATELIER_WORKSPACE_ROOT). */
export function systemEnv(input: SystemEnvInput): Record<string, string> {
  const gitpod: Record<string, string> = {
    WORKSPACE_ID: input.workspaceId,
    INSTANCE_ID: input.instanceId,
    OWNER_ID: input.ownerId,
    WORKSPACE_URL: workspaceUrl(input.urls, input.workspaceId),
    HOST: dashboardUrl(input.urls),
    WORKSPACE_CLUSTER_HOST: workspaceClusterHost(input.urls),
    REPO_ROOT: input.checkoutLocation,
    // comma-separated: additional repositories will be checked out beside the main one
    REPO_ROOTS: input.checkoutLocation,
    WORKSPACE_CONTEXT_URL: input.contextUrl,
    WORKSPACE_CONTEXT: JSON.stringify(workspaceContext(input)),
    TASKS: JSON.stringify(input.tasks),
    MEMORY: String(Math.floor(input.memoryBytes / 1024 ** 2)),
    // whole CPUs, rounded up as Kubernetes reports a fractional limit
    CPU_COUNT: String(Math.max(1, Math.ceil(input.cpu))),
  };
  if (input.coreDump) {
    gitpod.RLIMIT_CORE = JSON.stringify({ softLimit: input.coreDump.soft, hardLimit: input.coreDump.hard });
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(gitpod)) {
    env[`GITPOD_${name}`] = value;
    env[`ATELIER_${name}`] = value;
  }
  const root = input.workspaceLocation ? `/workspace/${input.workspaceLocation}` : input.checkoutLocation;
  env.THEIA_WORKSPACE_ROOT = root;
  env.ATELIER_WORKSPACE_ROOT = root;
  return env;
}

/** GITPOD_WORKSPACE_CONTEXT: the fields of Gitpod's CommitContext that Atelier knows at start. */
function workspaceContext(input: SystemEnvInput): Record<string, unknown> {
  const host = input.cloneUrl.startsWith('file:') ? '' : new URL(input.cloneUrl).host;
  return {
    title: input.owner && input.repo ? `${input.owner}/${input.repo}` : input.contextUrl,
    normalizedContextURL: input.contextUrl,
    ...(input.ref ? { ref: input.ref } : {}),
    repository: { host, owner: input.owner ?? '', name: input.repo ?? '', cloneUrl: input.cloneUrl },
    checkoutLocation: input.checkoutLocation.replace(/^\/workspace\//, ''),
  };
}
