// The environment of a workspace's terminals and tasks, composed at every start (reference/gitpod.md
// §4): the configuration file's, the owner's variables for the repository, the context URL's prefix,
// then the system variables. Values are opened here and go only into the container; never to a log.
import type { Instance, Workspace } from '@atelier/db';
import {
  AppError,
  composeWorkspaceEnv,
  contextEnvProblem,
  type RepositoryContext,
  SUPERVISOR_CONFIG_ENV,
  type SupervisorConfigInput,
  systemEnv,
  type UserEnvValue,
  type WorkspaceConfig,
} from '@atelier/protocol';
import { errorMessage, type LifecycleContext } from '../context.js';

export interface EnvironmentInput {
  workspace: Workspace;
  instance: Instance;
  /** the stored configuration; undefined for workspaces made before configurations were read */
  config: WorkspaceConfig | undefined;
  /** the workspace's repository, for the owner's variables and GITPOD_WORKSPACE_CONTEXT */
  repository: RepositoryContext;
  /** absolute path of the checkout */
  checkoutLocation: string;
}

export type EnvironmentContext = Pick<LifecycleContext, 'repos' | 'secrets' | 'config' | 'urls' | 'logger'>;

/** SupervisorConfig.env of a start: what terminals and tasks get on top of the image's environment. */
export async function workspaceEnvironment(
  ctx: EnvironmentContext,
  input: EnvironmentInput,
): Promise<Record<string, string>> {
  const { workspace, instance, config, repository } = input;
  const fullName = `${repository.owner ?? ''}/${repository.repo ?? ''}`;
  const rows = await ctx.repos.envVars.forRepository(workspace.ownerId, fullName);
  const user: UserEnvValue[] = rows.map((row) => {
    try {
      return {
        name: row.name,
        repositoryPattern: row.repositoryPattern,
        value: ctx.secrets.open(row.valueSealed),
      };
    } catch (e) {
      throw new AppError(
        'failed_precondition',
        `your variable ${row.name} (${row.repositoryPattern}) cannot be read: ${errorMessage(e)} — or set it again`,
        undefined,
        { cause: e },
      );
    }
  });
  const { resources } = ctx.config.workspace;
  return composeWorkspaceEnv({
    config: config?.env ?? {},
    user,
    repository: fullName,
    context: contextEnv(ctx, workspace),
    system: systemEnv({
      workspaceId: workspace.id,
      instanceId: instance.id,
      ownerId: workspace.ownerId,
      urls: ctx.urls,
      contextUrl: workspace.contextUrl,
      cloneUrl: workspace.cloneUrl,
      ref: workspace.ref,
      owner: repository.owner,
      repo: repository.repo,
      checkoutLocation: input.checkoutLocation,
      workspaceLocation: config?.workspaceLocation,
      tasks: config?.tasks ?? [],
      memoryBytes: resources.memory,
      cpu: resources.cpu,
      coreDump: config?.coreDump,
    }),
  });
}

/**
 * The context URL's variables kept at creation. They are checked again: one the block list has
 * come to refuse since then is left out (and named in the log) rather than failing every start.
 */
function contextEnv(ctx: EnvironmentContext, workspace: Workspace): Record<string, string> {
  if (workspace.contextEnv === null) return {};
  const stored: unknown = JSON.parse(workspace.contextEnv);
  const entries = stored && typeof stored === 'object' ? Object.entries(stored) : [];
  if (!stored || Array.isArray(stored) || entries.some(([, v]) => typeof v !== 'string')) {
    throw new AppError(
      'internal',
      `the stored context environment of workspace ${workspace.id} is not valid`,
    );
  }
  const kept = (entries as [string, string][]).filter(([name, value]) => {
    const problem = contextEnvProblem(name, value);
    if (problem)
      ctx.logger.warn({ workspaceId: workspace.id, name }, 'context URL variable left out: blocked');
    return problem === undefined;
  });
  return Object.fromEntries(kept);
}

/**
 * One environment string may hold 128 KiB on Linux (MAX_ARG_STRLEN): a larger configuration
 * would fail the container's start with "argument list too long".
 */
export const MAX_SUPERVISOR_CONFIG_BYTES = 120 * 1024;

/** The container's environment: the supervisor's configuration, if it fits. */
export function supervisorConfigEnv(config: SupervisorConfigInput): Record<string, string> {
  const json = JSON.stringify(config);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_SUPERVISOR_CONFIG_BYTES) {
    const largest = Object.entries(config.env ?? {})
      .map(([name, value]) => [name, Buffer.byteLength(value)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, size]) => `${name} (${Math.ceil(size / 1024)} KiB)`);
    throw new AppError(
      'failed_precondition',
      `the workspace's environment and tasks take ${Math.ceil(bytes / 1024)} KiB, more than the ${MAX_SUPERVISOR_CONFIG_BYTES / 1024} KiB that can be passed to it: shorten or remove variables (largest: ${largest.join(', ')})`,
    );
  }
  return { [SUPERVISOR_CONFIG_ENV]: json };
}
