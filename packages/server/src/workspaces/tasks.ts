// The tasks of a workspace's latest instance and their output: live from its supervisor while it
// runs, from the output the manager saved (instance logs `task-<index>`) once it stopped.
import type { Instance, User } from '@atelier/db';
import {
  AppError,
  parseStoredConfig,
  type TaskConfig,
  taskLogStream,
  type WorkspaceId,
  type WorkspaceTaskDto,
  type WorkspaceTasksDto,
} from '@atelier/protocol';
import { SupervisorClient } from '@atelier/ws-manager';
import type { Deps } from '../app-env.js';
import type { WorkspaceService } from './service.js';

export class TaskService {
  constructor(
    private readonly deps: Deps,
    private readonly workspaces: WorkspaceService,
  ) {}

  async list(user: User, id: WorkspaceId): Promise<WorkspaceTasksDto> {
    const { instance, configured } = await this.latest(user, id);
    if (!instance) {
      return { instanceId: null, live: false, tasks: configured.map((t, i) => task(t, i, 'pending')) };
    }
    const supervisor = await this.supervisor(instance);
    if (supervisor) {
      const { tasks } = await this.ask(id, () => supervisor.tasks());
      return { instanceId: instance.id, live: true, tasks: tasks.map(({ alias: _, ...t }) => t) };
    }
    const saved = new Set(await this.deps.repos.logs.streams(instance.id));
    // never running: the tasks never started; ran: they ended with the instance (exit code unknown)
    const ended = instance.phaseTimes.running !== undefined;
    const tasks = configured.map((t, i) =>
      task(t, i, saved.has(taskLogStream(i)) || ended ? 'exited' : 'pending'),
    );
    return { instanceId: instance.id, live: false, tasks };
  }

  /** What task `index` wrote so far (running) or until the instance stopped; ANSI escapes as written. */
  async output(user: User, id: WorkspaceId, index: number): Promise<string> {
    const { instance, configured } = await this.latest(user, id);
    if (index >= configured.length) {
      throw new AppError(
        'not_found',
        `workspace ${id} has no task ${index}: it has ${configured.length} task(s), numbered from 0`,
      );
    }
    if (!instance) return '';
    const supervisor = await this.supervisor(instance);
    if (supervisor) return this.ask(id, () => supervisor.taskOutput(index));
    return this.deps.repos.logs.text(instance.id, taskLogStream(index));
  }

  private async latest(user: User, id: WorkspaceId) {
    const workspace = await this.workspaces.owned(user, id);
    const instance = await this.deps.repos.instances.latestForWorkspace(id);
    return { instance, configured: parseStoredConfig(workspace)?.tasks ?? [] };
  }

  /** The running instance's supervisor; undefined when the instance does not run. */
  private async supervisor(instance: Instance): Promise<SupervisorClient | undefined> {
    if (instance.phase !== 'running') return undefined;
    const endpoint = await this.deps.manager.endpoint(instance.id);
    return endpoint ? new SupervisorClient(endpoint) : undefined;
  }

  private async ask<T>(id: WorkspaceId, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw new AppError(
        'unavailable',
        `cannot read the tasks of workspace ${id}: ${e instanceof Error ? e.message : String(e)} — try again in a moment`,
        undefined,
        { cause: e },
      );
    }
  }
}

function task(config: TaskConfig, index: number, state: WorkspaceTaskDto['state']): WorkspaceTaskDto {
  return { index, name: config.name, state, exitCode: null };
}
