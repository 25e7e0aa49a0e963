// The start path: preparing → pending → creating → initializing → running, resumable at each step.
// Every phase is written to the database before the step it names is acted on.
import type { Instance, Workspace } from '@atelier/db';
import {
  AppError,
  type ContentInit,
  checkoutFolder,
  parseContextUrl,
  SUPERVISOR_CONFIG_ENV,
  type SupervisorConfig,
  type WorkspaceConfig,
  workspaceConfigSchema,
  workspaceUrl,
} from '@atelier/protocol';
import { errorMessage, type LifecycleContext, runtimeRecord, sleep, supervisorOf } from '../context.js';
import type { WorkspaceSpec } from '../runtimes/types.js';
import { restoreContent } from './content.js';

/** Drives a starting instance one phase further until it runs; throws with what went wrong. */
export async function driveStart(ctx: LifecycleContext, instance: Instance): Promise<Instance> {
  let current = instance;
  while (!ctx.signal.aborted) {
    switch (current.phase) {
      case 'preparing':
        await ctx.runtime.prepareImage(current.image, (line) => void progress(ctx, current, line));
        current = await transition(ctx, current, 'pending');
        break;
      case 'building':
      case 'pending':
        current = await transition(ctx, current, 'creating');
        break;
      case 'creating':
        current = await createAndStart(ctx, current);
        current = await transition(ctx, current, 'initializing');
        break;
      case 'initializing':
        await initializeContent(ctx, current);
        current = await transition(ctx, current, 'running', { message: null });
        await ctx.repos.instances.update(current.id, { lastActivityAt: ctx.clock().toISOString() });
        return current;
      default:
        return current;
    }
  }
  return current;
}

async function transition(
  ctx: LifecycleContext,
  instance: Instance,
  phase: Instance['phase'],
  patch: { message?: string | null } = {},
): Promise<Instance> {
  const next = await ctx.repos.instances.transitionIf(instance.id, [instance.phase], phase, patch);
  if (!next) {
    const now = await ctx.repos.instances.get(instance.id);
    throw new AppError('conflict', `instance ${instance.id} moved to ${now?.phase ?? 'nowhere'} meanwhile`);
  }
  ctx.announce(next);
  return next;
}

let lastProgress = 0;
async function progress(ctx: LifecycleContext, instance: Instance, message: string): Promise<void> {
  if (Date.now() - lastProgress < 500) return;
  lastProgress = Date.now();
  ctx.announce(await ctx.repos.instances.update(instance.id, { message: message.slice(0, 500) }));
}

async function createAndStart(ctx: LifecycleContext, instance: Instance): Promise<Instance> {
  const workspace = await ctx.repos.workspaces.get(instance.workspaceId);
  if (!workspace) throw new AppError('not_found', `workspace ${instance.workspaceId} was deleted`);
  const { user } = await ctx.runtime.prepareImage(instance.image, () => undefined);
  const spec = workspaceSpec(ctx, workspace, instance, user);
  const ref = await ctx.runtime.create(spec);
  let updated = await ctx.repos.instances.update(instance.id, { runtime: { ref } });
  // the backup goes in before anything runs in the container: faster, and nobody races the restore
  let restored = runtimeRecord(updated).restored === true;
  if (!restored && instance.contentSource === 'backup' && (await ctx.runtime.state(ref)).kind === 'created') {
    ctx.announce(
      await ctx.repos.instances.update(instance.id, { message: 'restoring /workspace from the backup' }),
    );
    await restoreOrFail(ctx, updated);
    restored = true;
    updated = await ctx.repos.instances.update(instance.id, { runtime: { ref, restored }, message: null });
  }
  await ctx.runtime.start(ref);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await ctx.runtime.state(ref);
    if (state.kind === 'running' && state.endpoint) {
      updated = await ctx.repos.instances.update(instance.id, {
        runtime: { ref, endpoint: state.endpoint, ...(restored ? { restored } : {}) },
      });
      return updated;
    }
    if (state.kind === 'exited' || state.kind === 'absent') {
      throw new AppError(
        'unavailable',
        `the workspace container ${state.kind === 'exited' ? `exited (${state.exitCode}${state.error ? `: ${state.error}` : ''})` : 'vanished'} while starting`,
      );
    }
    if (Date.now() > deadline)
      throw new AppError('unavailable', 'the workspace container did not come up in 30 s');
    await sleep(100, ctx.signal);
  }
}

/** The configuration read from the repository when the workspace was made (none before issue 3). */
function storedConfig(workspace: Workspace): WorkspaceConfig | undefined {
  if (workspace.config === null) return undefined;
  const parsed = workspaceConfigSchema.safeParse(JSON.parse(workspace.config));
  if (!parsed.success) {
    throw new AppError(
      'internal',
      `the stored configuration of workspace ${workspace.id} is not valid: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

function workspaceSpec(
  ctx: LifecycleContext,
  workspace: Workspace,
  instance: Instance,
  user: string,
): WorkspaceSpec {
  const repo = parseContextUrl(workspace.cloneUrl);
  const wsConfig = storedConfig(workspace);
  const contentInit: ContentInit =
    instance.contentSource === 'backup'
      ? { kind: 'backup' }
      : {
          kind: 'git',
          cloneUrl: cloneUrlInWorkspace(ctx, workspace.cloneUrl),
          ...(workspace.ref ? { ref: workspace.ref } : {}),
        };
  const config: SupervisorConfig = {
    workspaceId: workspace.id,
    instanceId: instance.id,
    ownerId: workspace.ownerId,
    token: ctx.secrets.open(instance.supervisorTokenSealed),
    workspaceUrl: workspaceUrl(ctx.urls, workspace.id),
    user,
    checkoutLocation: `/workspace/${wsConfig?.checkoutLocation || checkoutFolder(repo)}`,
    contentInit,
    env: wsConfig?.env ?? {},
    tasks: wsConfig?.tasks ?? [],
  };
  return {
    instanceId: instance.id,
    workspaceId: workspace.id,
    ownerId: workspace.ownerId,
    image: instance.image,
    env: { [SUPERVISOR_CONFIG_ENV]: JSON.stringify(config) },
    cpu: ctx.config.workspace.resources.cpu,
    memoryBytes: ctx.config.workspace.resources.memory,
    readOnlyHostPaths: repo.kind === 'file' ? [decodeURIComponent(new URL(repo.cloneUrl).pathname)] : [],
  };
}

/** Repository URLs on the host's loopback are reached through the runtime's host address. */
export function cloneUrlInWorkspace(ctx: Pick<LifecycleContext, 'config'>, cloneUrl: string): string {
  const alias = ctx.config.workspace.runtime.docker.hostLoopback;
  const url = new URL(cloneUrl);
  if (!alias || !/^(localhost|127(\.\d+){3}|\[::1\])$/.test(url.hostname)) return cloneUrl;
  url.hostname = alias;
  return url.toString().replace(/\/$/, '');
}

async function restoreOrFail(ctx: LifecycleContext, instance: Instance): Promise<void> {
  try {
    await restoreContent(ctx, instance);
  } catch (e) {
    throw new AppError(
      'failed_precondition',
      `the backup of this workspace could not be restored: ${errorMessage(e)} — the backup is kept; nothing was started from a fresh clone`,
      undefined,
      { cause: e },
    );
  }
}

async function initializeContent(ctx: LifecycleContext, instance: Instance): Promise<void> {
  const supervisor = supervisorOf(ctx, instance);
  if (!supervisor) throw new AppError('unavailable', 'the workspace has no supervisor endpoint');
  let status = await waitForSupervisor(ctx, () => supervisor.contentStatus(false, ctx.signal));
  if (!status.available && !status.error && instance.contentSource === 'backup') {
    // not restored yet: this start resumed with the container already running
    if (!runtimeRecord(instance).restored) await restoreOrFail(ctx, instance);
    await supervisor.contentReady('from-backup');
  }
  while (!status.available) {
    if (status.error) throw new AppError('failed_precondition', status.error);
    if (status.progress) await progress(ctx, instance, status.progress);
    status = await supervisor.contentStatus(true, ctx.signal);
  }
  const { ref } = runtimeRecord(instance);
  ctx.logger.info(
    { workspaceId: instance.workspaceId, instanceId: instance.id, container: ref.container },
    'content ready',
  );
}

async function waitForSupervisor<T>(ctx: LifecycleContext, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (Date.now() > deadline || ctx.signal.aborted) {
        throw new AppError('unavailable', `the workspace's supervisor did not answer: ${errorMessage(e)}`);
      }
      await sleep(100, ctx.signal);
    }
  }
}
