// The start path: preparing → pending → creating → initializing → running, resumable at each step.
// Every phase is written to the database before the step it names is acted on.
import type { Instance, Workspace } from '@atelier/db';
import {
  AppError,
  type ContentInit,
  checkoutFolder,
  IMAGE_BUILD_LOG_STREAM,
  parseContextUrl,
  parseStoredConfig,
  parseStoredContext,
  type SupervisorConfigInput,
  workspaceUrl,
} from '@atelier/protocol';
import { errorMessage, type LifecycleContext, runtimeRecord, sleep, supervisorOf } from '../context.js';
import type { WorkspaceSpec } from '../runtimes/types.js';
import { inactivityTimeout, parsePreferences } from '../timeouts.js';
import { restoreContent } from './content.js';
import { supervisorConfigEnv, workspaceEnvironment } from './environment.js';
import { grantServerAccess, heartbeatIntervalMs, ideConfig, workspaceInfo } from './workspace-access.js';

/** Drives a starting instance one phase further until it runs; throws with what went wrong. */
export async function driveStart(ctx: LifecycleContext, instance: Instance): Promise<Instance> {
  let current = instance;
  while (!ctx.signal.aborted) {
    switch (current.phase) {
      case 'preparing':
      case 'building':
        current = await resolveImage(ctx, current);
        await ctx.runtime.prepareImage(
          current.image,
          (line) => void progress(ctx, current, line),
          ctx.images.pullAuth(current.image),
        );
        // the build's last line was the message; the next phases say their own
        current = await transition(ctx, current, 'pending', { message: null });
        break;
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

/**
 * Asks the image builder which image the instance runs (building it, in phase `building`, when
 * the configuration names a Dockerfile or features) and records it on the instance. The build's
 * log goes to the instance's logs as it comes, and stays there when the build fails.
 */
async function resolveImage(ctx: LifecycleContext, instance: Instance): Promise<Instance> {
  const workspace = await ctx.repos.workspaces.get(instance.workspaceId);
  if (!workspace) throw new AppError('not_found', `workspace ${instance.workspaceId} was deleted`);
  const wsConfig = parseStoredConfig(workspace);
  if (!wsConfig) return instance;
  let current = instance;
  const log = new LogWriter(ctx, instance.id, IMAGE_BUILD_LOG_STREAM, (line) => progress(ctx, current, line));
  // a build reads the repository: a private one with the owner's token (named images need none)
  const builds = wsConfig.features.length > 0 || wsConfig.image.kind === 'dockerfile';
  const credentials =
    builds && ctx.gitCredentials
      ? await ctx.gitCredentials(workspace.ownerId, workspace.cloneUrl).catch((e: unknown) => {
          log.write(
            `the owner's SCM token is not available (${errorMessage(e)}): reading the repository anonymously\n`,
          );
          return undefined;
        })
      : undefined;
  try {
    const resolved = await ctx.images.resolve(
      {
        workspaceId: workspace.id,
        instanceId: instance.id,
        cloneUrl: workspace.cloneUrl,
        revision: wsConfig.revision,
        ref: workspace.ref ?? undefined,
        image: wsConfig.image,
        features: wsConfig.features,
        remoteUser: wsConfig.user,
        ...(credentials ? { credentials } : {}),
        // imagebuild/: the start from the link builds anew; later starts (from a backup) use the cache
        ...(parseStoredContext(workspace.context)?.forceImageBuild && instance.contentSource !== 'backup'
          ? { forceBuild: true }
          : {}),
      },
      {
        log: (text) => log.write(text),
        building: async () => {
          if (current.phase === 'preparing') {
            current = await transition(ctx, current, 'building', { message: 'building the workspace image' });
          }
        },
        signal: ctx.signal,
      },
    );
    await log.close();
    if (resolved.ref === current.image) return current;
    return ctx.repos.instances.update(current.id, { image: resolved.ref });
  } catch (e) {
    log.write(`\n${errorMessage(e)}\n`);
    await log.close();
    throw e;
  }
}

/** Appends text to an instance's log stream in batches (every 250 ms), so a chatty build is a few writes. */
class LogWriter {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: LifecycleContext,
    private readonly instanceId: Instance['id'],
    private readonly stream: string,
    private readonly onLine: (line: string) => Promise<void>,
  ) {}
  private closed = false;
  /** the phase message being written for the last line; awaited at close so none lands after */
  private lastLine: Promise<void> = Promise.resolve();

  write(text: string): void {
    if (this.closed) return;
    this.pending += text;
    const last = text.trimEnd().split('\n').pop()?.trim();
    if (last) this.lastLine = this.onLine(last).catch(() => undefined);
    this.timer ??= setTimeout(() => this.flush(), 250);
  }

  private flush(): void {
    this.timer = undefined;
    const text = this.pending;
    this.pending = '';
    if (text === '') return;
    this.writing = this.writing
      .then(() => this.ctx.repos.logs.append(this.instanceId, this.stream, text))
      .then(
        () => undefined,
        (e: unknown) =>
          this.ctx.logger.warn({ instanceId: this.instanceId, err: errorMessage(e) }, 'log not written'),
      );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    await Promise.all([this.writing, this.lastLine]);
  }
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
  const { user } = await ctx.runtime.prepareImage(
    instance.image,
    () => undefined,
    ctx.images.pullAuth(instance.image),
  );
  const spec = await workspaceSpec(ctx, workspace, instance, user);
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

async function workspaceSpec(
  ctx: LifecycleContext,
  workspace: Workspace,
  instance: Instance,
  user: string,
): Promise<WorkspaceSpec> {
  const repo = parseContextUrl(workspace.cloneUrl);
  const wsConfig = parseStoredConfig(workspace);
  const checkoutLocation = `/workspace/${wsConfig?.checkoutLocation || checkoutFolder(repo)}`;
  const resolved = parseStoredContext(workspace.context);
  const contentInit: ContentInit =
    instance.contentSource === 'backup'
      ? { kind: 'backup' }
      : {
          kind: 'git',
          cloneUrl: cloneUrlInWorkspace(ctx, workspace.cloneUrl),
          ...(workspace.ref ? { ref: workspace.ref } : {}),
          ...(resolved?.localBranch ? { localBranch: resolved.localBranch } : {}),
          ...(resolved?.upstreamCloneUrl
            ? { upstreamCloneUrl: cloneUrlInWorkspace(ctx, resolved.upstreamCloneUrl) }
            : {}),
          gitConfig: wsConfig?.gitConfig ?? {},
          additional: (wsConfig?.additionalRepositories ?? []).map((extra) => {
            const other = parseContextUrl(extra.url);
            // a repository's file may not mount paths of this machine into the workspace
            if (other.kind === 'file') {
              throw new AppError(
                'invalid_argument',
                `additionalRepositories: ${extra.url} is a path on the server; give an http(s) or ssh URL`,
              );
            }
            const location = extra.checkoutLocation || checkoutFolder(other);
            const taken = `/workspace/${location}`;
            if (
              checkoutLocation === taken ||
              checkoutLocation.startsWith(`${taken}/`) ||
              taken.startsWith(`${checkoutLocation}/`)
            ) {
              throw new AppError(
                'invalid_argument',
                `additionalRepositories: ${extra.url} would be checked out at ${taken}, where the workspace's own checkout is; give it a checkoutLocation of its own`,
              );
            }
            return { cloneUrl: cloneUrlInWorkspace(ctx, other.cloneUrl), location };
          }),
        };
  const ide = ctx.ide();
  // the owner's preferences decide the IDE and the inactivity time-out: read once
  const [server, owner] = await Promise.all([
    grantServerAccess(ctx, instance),
    ctx.repos.users.get(workspace.ownerId),
  ]);
  const preferences = parsePreferences(owner?.preferences ?? null);
  // a referrer:<name>:<ide>/ link chose the IDE for this workspace; else the owner's preference
  const choice = resolved?.ide ?? preferences.ide ?? ctx.config.ide.default;
  const inactivity = inactivityTimeout(ctx.config.workspace.timeouts, workspace, preferences);
  const config: SupervisorConfigInput = {
    workspaceId: workspace.id,
    instanceId: instance.id,
    ownerId: workspace.ownerId,
    token: ctx.secrets.open(instance.supervisorTokenSealed),
    workspaceUrl: workspaceUrl(ctx.urls, workspace.id),
    // devcontainer remoteUser: tasks and terminals run as that user instead of the image's
    user: wsConfig?.user ?? user,
    checkoutLocation,
    contentInit,
    env: await workspaceEnvironment(ctx, {
      workspace,
      instance,
      config: wsConfig,
      repository: repo,
      checkoutLocation,
    }),
    tasks: wsConfig?.tasks ?? [],
    ports: wsConfig?.ports ?? [],
    info: {
      ...workspaceInfo(ctx, workspace, repo),
      // the file of a `blob/<ref>/<path>` URL, opened by the IDE; a path leaving the checkout is dropped
      ...(resolved?.openPath && !resolved.openPath.split('/').includes('..')
        ? { openFile: `${checkoutLocation}/${resolved.openPath}` }
        : {}),
    },
    heartbeatIntervalMs: heartbeatIntervalMs(ctx, inactivity.ms),
    server,
    ide: ideConfig(ctx, choice, ide, wsConfig),
  };
  return {
    instanceId: instance.id,
    workspaceId: workspace.id,
    ownerId: workspace.ownerId,
    image: instance.image,
    env: supervisorConfigEnv(config),
    cpu: ctx.config.workspace.resources.cpu,
    memoryBytes: ctx.config.workspace.resources.memory,
    readOnlyHostPaths: repo.kind === 'file' ? [decodeURIComponent(new URL(repo.cloneUrl).pathname)] : [],
    ...(choice === 'code' && ide ? { ide } : {}),
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
