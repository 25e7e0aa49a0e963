// The in-process WorkspaceManager: accepts requests, persists them, and drives every instance
// towards its desired state; on start-up it resumes whatever the database and the engine hold.
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Instance } from '@atelier/db';
import { AppError, type InstanceId, type Phase, type WorkspaceId } from '@atelier/protocol';
import {
  errorMessage,
  type LifecycleContext,
  type ManagerDeps,
  runtimeRecord,
  supervisorOf,
} from './context.js';
import { driveStart } from './lifecycle/starting.js';
import { driveStop } from './lifecycle/stopping.js';
import { type InactivityTimeout, inactivityTimeout, parsePreferences, timeoutReason } from './timeouts.js';
import type { InstanceUpdate, SupervisorEndpoint, WorkspaceManager } from './types.js';

const STARTING: readonly Phase[] = ['preparing', 'building', 'pending', 'creating', 'initializing'];
const OWNER_TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class LocalWorkspaceManager implements WorkspaceManager {
  private readonly ctx: LifecycleContext;
  private readonly events = new EventEmitter();
  private readonly abort = new AbortController();
  /** one driver per instance at a time; `again` asks it to look once more when done */
  private readonly drivers = new Map<InstanceId, { again: boolean }>();
  private readonly workspaceLocks = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(deps: ManagerDeps) {
    this.events.setMaxListeners(0);
    this.ctx = {
      ...deps,
      clock: deps.clock ?? (() => new Date()),
      ide: deps.ide ?? (() => undefined),
      retryDelayMs: deps.retryDelayMs ?? ((n) => Math.min(300_000, 2_000 * 2 ** (n - 1))),
      signal: this.abort.signal,
      announce: (instance) => {
        const update: InstanceUpdate = {
          workspaceId: instance.workspaceId,
          instanceId: instance.id,
          phase: instance.phase,
        };
        this.events.emit('update', update);
      },
    };
  }

  /** Resumes every unfinished instance and deletion, then keeps reconciling. */
  async run(reconcileEveryMs = 5_000): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), reconcileEveryMs);
    this.timer.unref();
    void this.watchEngine();
  }

  /** Stops driving (the workspaces keep running; a later run() re-adopts them). */
  async close(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    const deadline = Date.now() + 5_000;
    while (this.drivers.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  async start(workspaceId: WorkspaceId): Promise<{ instanceId: InstanceId; phase: Phase }> {
    return this.withWorkspaceLock(workspaceId, async () => {
      const { repos, secrets, config } = this.ctx;
      const workspace = await repos.workspaces.get(workspaceId);
      if (!workspace) throw new AppError('not_found', `workspace ${workspaceId} not found`);
      const latest = await repos.instances.latestForWorkspace(workspaceId);
      if (latest && latest.phase !== 'stopped') {
        throw new AppError(
          'conflict',
          `workspace ${workspaceId} is ${latest.phase}; stop it before starting it again`,
        );
      }
      const backup = await repos.backups.latestVerified(workspaceId);
      const instance = await repos.instances.create({
        id: randomUUID() as InstanceId,
        workspaceId,
        phase: 'preparing',
        desiredPhase: 'running',
        ownerTokenSealed: secrets.seal(ownerToken()),
        supervisorTokenSealed: secrets.seal(randomBytes(32).toString('base64url')),
        image: config.workspace.defaultImage,
        contentSource: backup ? 'backup' : 'git',
      });
      this.ctx.announce(instance);
      this.schedule(instance.id);
      return { instanceId: instance.id, phase: instance.phase };
    });
  }

  async stop(instanceId: InstanceId, reason: string): Promise<void> {
    const instance = await this.ctx.repos.instances.get(instanceId);
    if (!instance) throw new AppError('not_found', `instance ${instanceId} not found`);
    if (instance.phase === 'stopped' || instance.desiredPhase === 'stopped') return;
    this.ctx.announce(
      await this.ctx.repos.instances.update(instanceId, { desiredPhase: 'stopped', message: reason }),
    );
    this.schedule(instanceId);
  }

  async delete(workspaceId: WorkspaceId): Promise<void> {
    const { repos } = this.ctx;
    const workspace = await repos.workspaces.get(workspaceId, { includeDeleted: true });
    if (!workspace) throw new AppError('not_found', `workspace ${workspaceId} not found`);
    if (!workspace.deletedAt) await repos.workspaces.markDeleted(workspaceId);
    await this.withWorkspaceLock(workspaceId, () => this.finishDelete(workspaceId));
  }

  async listeningPorts(instanceId: InstanceId): Promise<number[]> {
    const instance = await this.ctx.repos.instances.get(instanceId);
    if (instance?.phase !== 'running') return [];
    try {
      const status = await supervisorOf(this.ctx, instance)?.ports();
      return status?.ports.map((p) => p.port) ?? [];
    } catch (e) {
      this.ctx.logger.warn({ instanceId, err: errorMessage(e) }, 'ports not available');
      return [];
    }
  }

  async endpoint(instanceId: InstanceId): Promise<SupervisorEndpoint | undefined> {
    const instance = await this.ctx.repos.instances.get(instanceId);
    if (instance?.phase !== 'running') return undefined;
    const { endpoint } = runtimeRecord(instance);
    return endpoint
      ? { ...endpoint, token: this.ctx.secrets.open(instance.supervisorTokenSealed) }
      : undefined;
  }

  onUpdate(listener: (update: InstanceUpdate) => void): () => void {
    this.events.on('update', listener);
    return () => this.events.off('update', listener);
  }

  async health(): Promise<{ engine: string }> {
    try {
      await this.ctx.runtime.ping();
      return { engine: 'ok' };
    } catch (e) {
      return { engine: errorMessage(e) };
    }
  }

  /** One pass over everything unfinished: starts, stops, deletions, time-outs, vanished containers. */
  async reconcile(): Promise<void> {
    try {
      for (const ws of await this.ctx.repos.workspaces.listMarkedDeleted()) {
        void this.withWorkspaceLock(ws.id, () => this.finishDelete(ws.id)).catch((e) =>
          this.ctx.logger.error({ workspaceId: ws.id, err: errorMessage(e) }, 'deletion failed; will retry'),
        );
      }
      for (const instance of await this.ctx.repos.instances.listNotStopped()) this.schedule(instance.id);
    } catch (e) {
      this.ctx.logger.error({ err: errorMessage(e) }, 'reconcile failed');
    }
  }

  private schedule(instanceId: InstanceId): void {
    const running = this.drivers.get(instanceId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.drivers.set(instanceId, state);
    void (async () => {
      try {
        do {
          state.again = false;
          await this.drive(instanceId);
        } while (state.again && !this.abort.signal.aborted);
      } finally {
        this.drivers.delete(instanceId);
      }
    })();
  }

  /** Moves one instance towards its desired state; errors fail the start or are retried. */
  private async drive(instanceId: InstanceId): Promise<void> {
    const { repos, logger } = this.ctx;
    const instance = await repos.instances.get(instanceId);
    if (!instance || instance.phase === 'stopped' || this.abort.signal.aborted) return;
    const log = { workspaceId: instance.workspaceId, instanceId };
    const workspace = await repos.workspaces.get(instance.workspaceId, { includeDeleted: true });
    try {
      if (!workspace || workspace.deletedAt) {
        await driveStop(this.ctx, instance, { discardContent: true });
      } else if (instance.desiredPhase === 'stopped' || instance.phase === 'stopping') {
        await driveStop(this.ctx, instance, { discardContent: false });
      } else if (STARTING.includes(instance.phase)) {
        await this.driveStartOrFail(instance);
      } else {
        await this.superviseRunning(instance);
      }
    } catch (e) {
      logger.error({ ...log, err: errorMessage(e) }, 'instance driver failed; will retry');
    }
  }

  private async driveStartOrFail(instance: Instance): Promise<void> {
    const elapsed = this.ctx.clock().getTime() - Date.parse(instance.createdAt);
    if (elapsed > this.ctx.config.workspace.timeouts.startup) {
      await this.fail(instance, 'the workspace did not start within workspace.timeouts.startup');
      return;
    }
    try {
      await driveStart(this.ctx, instance);
    } catch (e) {
      if (this.abort.signal.aborted) return;
      if (e instanceof AppError && e.code === 'conflict') return; // someone else moved it; the next pass looks again
      await this.fail(instance, errorMessage(e));
    }
  }

  private async fail(instance: Instance, message: string): Promise<void> {
    this.ctx.logger.warn(
      { workspaceId: instance.workspaceId, instanceId: instance.id, err: message },
      'start failed',
    );
    const failed = await this.ctx.repos.instances.update(instance.id, {
      failed: message,
      desiredPhase: 'stopped',
    });
    this.ctx.announce(failed);
    await driveStop(this.ctx, failed, { discardContent: false });
  }

  /** A running instance: stop it on time-out or when its container died under it. */
  private async superviseRunning(instance: Instance): Promise<void> {
    const { timeouts } = this.ctx.config.workspace;
    const inactivity = await this.inactivityFor(instance);
    const reason = timeoutReason(instance, inactivity.ms, timeouts, this.ctx.clock());
    if (reason) {
      await this.stop(instance.id, reason);
      return;
    }
    const state = await this.ctx.runtime.state(runtimeRecord(instance).ref);
    if (state.kind !== 'running') {
      const what = state.kind === 'exited' ? `exited with ${state.exitCode}` : 'disappeared';
      this.ctx.logger.warn(
        { workspaceId: instance.workspaceId, instanceId: instance.id },
        `workspace container ${what}`,
      );
      await this.stop(instance.id, `the workspace container ${what}`);
    }
  }

  /** The inactivity time-out of an instance's workspace (its own, its owner's, or the default). */
  async inactivityFor(instance: Pick<Instance, 'workspaceId'>): Promise<InactivityTimeout> {
    const { repos, config } = this.ctx;
    const workspace = await repos.workspaces.get(instance.workspaceId, { includeDeleted: true });
    const owner = workspace && (await repos.users.get(workspace.ownerId));
    return inactivityTimeout(
      config.workspace.timeouts,
      workspace ?? { timeoutMs: null },
      parsePreferences(owner?.preferences ?? null),
    );
  }

  private async finishDelete(workspaceId: WorkspaceId): Promise<void> {
    const { repos, storage, runtime } = this.ctx;
    const workspace = await repos.workspaces.get(workspaceId, { includeDeleted: true });
    if (!workspace) return;
    const latest = await repos.instances.latestForWorkspace(workspaceId);
    if (latest && latest.phase !== 'stopped') await driveStop(this.ctx, latest, { discardContent: true });
    if (latest) await runtime.delete(runtimeRecord(latest).ref);
    for (const backup of await repos.backups.listForWorkspace(workspaceId)) {
      await storage.delete(backup.bucket, backup.objectKey);
    }
    await repos.backups.deleteForWorkspace(workspaceId);
    await repos.logs.deleteForWorkspace(workspaceId);
    await repos.ports.deleteForWorkspace(workspaceId);
    await repos.instances.deleteForWorkspace(workspaceId);
    await repos.workspaces.hardDelete(workspaceId);
    this.ctx.logger.info({ workspaceId }, 'workspace deleted');
    if (latest) this.ctx.announce({ ...latest, phase: 'stopped' });
  }

  private async watchEngine(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        for await (const ev of this.ctx.runtime.events(this.abort.signal)) this.schedule(ev.instanceId);
      } catch (e) {
        this.ctx.logger.warn({ err: errorMessage(e) }, 'engine event stream broke; reconnecting');
      }
      await new Promise((r) => setTimeout(r, 1_000).unref());
    }
  }

  private withWorkspaceLock<T>(workspaceId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.workspaceLocks.get(workspaceId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.workspaceLocks.set(workspaceId, next);
    void next
      .finally(() => {
        if (this.workspaceLocks.get(workspaceId) === next) this.workspaceLocks.delete(workspaceId);
      })
      .catch(() => undefined);
    return next;
  }
}

function ownerToken(): string {
  const bytes = randomBytes(32);
  let out = '';
  for (const b of bytes) out += OWNER_TOKEN_ALPHABET[b % OWNER_TOKEN_ALPHABET.length];
  return out;
}
