// A WorkspaceManager for the server's tests: it really writes instance rows through the
// repositories and records every call. The real manager is covered by the end-to-end tests.
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Instance, Repositories, SecretBox } from '@atelier/db';
import { AppError, type InstanceId, type Phase, type WorkspaceId } from '@atelier/protocol';
import type { InstanceUpdate, SupervisorEndpoint, WorkspaceManager } from '@atelier/ws-manager';

export interface RecordedCall {
  method: 'start' | 'stop' | 'delete' | 'listeningPorts';
  args: unknown[];
}

export interface RecordingManager extends WorkspaceManager {
  calls: RecordedCall[];
  /** what listeningPorts answers for a running instance */
  ports: number[];
  /** what health() answers as the engine check */
  engine: string;
  /** moves an instance to a phase, as the real manager's drivers would, and announces it */
  advance(instanceId: InstanceId, phase: Phase): Promise<Instance>;
  listenerCount(): number;
}

export function recordingManager(repos: Repositories, secrets: SecretBox): RecordingManager {
  const events = new EventEmitter();
  const announce = (instance: Instance) => {
    const update: InstanceUpdate = {
      workspaceId: instance.workspaceId,
      instanceId: instance.id,
      phase: instance.phase,
    };
    events.emit('update', update);
    return instance;
  };
  const manager: RecordingManager = {
    calls: [],
    ports: [],
    engine: 'ok',
    async start(workspaceId: WorkspaceId) {
      manager.calls.push({ method: 'start', args: [workspaceId] });
      if (!(await repos.workspaces.get(workspaceId)))
        throw new AppError('not_found', `workspace ${workspaceId} not found`);
      const latest = await repos.instances.latestForWorkspace(workspaceId);
      if (latest && latest.phase !== 'stopped')
        throw new AppError('conflict', `workspace ${workspaceId} is ${latest.phase}`);
      const instance = await repos.instances.create({
        id: randomUUID() as InstanceId,
        workspaceId,
        phase: 'preparing',
        desiredPhase: 'running',
        ownerTokenSealed: secrets.seal(randomBytes(24).toString('base64url')),
        supervisorTokenSealed: secrets.seal(randomBytes(24).toString('base64url')),
        image: 'test-image',
        contentSource: 'git',
      });
      announce(instance);
      return { instanceId: instance.id, phase: instance.phase };
    },
    async stop(instanceId: InstanceId, reason: string) {
      manager.calls.push({ method: 'stop', args: [instanceId, reason] });
      announce(await repos.instances.update(instanceId, { desiredPhase: 'stopped', message: reason }));
    },
    async delete(workspaceId: WorkspaceId) {
      manager.calls.push({ method: 'delete', args: [workspaceId] });
      await repos.workspaces.markDeleted(workspaceId);
      const latest = await repos.instances.latestForWorkspace(workspaceId);
      await repos.instances.deleteForWorkspace(workspaceId);
      await repos.workspaces.hardDelete(workspaceId);
      if (latest) announce({ ...latest, phase: 'stopped' });
    },
    async listeningPorts(instanceId: InstanceId) {
      manager.calls.push({ method: 'listeningPorts', args: [instanceId] });
      const instance = await repos.instances.get(instanceId);
      return instance?.phase === 'running' ? manager.ports : [];
    },
    async endpoint(_instanceId: InstanceId): Promise<SupervisorEndpoint | undefined> {
      return undefined;
    },
    onUpdate(listener) {
      events.on('update', listener);
      return () => events.off('update', listener);
    },
    async health() {
      return { engine: manager.engine };
    },
    async advance(instanceId, phase) {
      return announce(await repos.instances.transition(instanceId, phase));
    },
    listenerCount: () => events.listenerCount('update'),
  };
  return manager;
}
