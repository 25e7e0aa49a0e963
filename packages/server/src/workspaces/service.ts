// The workspace service: what the API does with workspaces on behalf of their owner.
import { randomBytes } from 'node:crypto';
import type { Instance, User, Workspace } from '@atelier/db';
import {
  AppError,
  type CreateWorkspaceRequest,
  type CreateWorkspaceResponse,
  isActive,
  type ListedPort,
  listPorts,
  newWorkspaceId,
  type PortDto,
  type PortVisibility,
  storedConfigPorts,
  type WorkspaceActivity,
  type WorkspaceDto,
  type WorkspaceId,
  workspaceUrl,
} from '@atelier/protocol';
import { activityOf, inactivityTimeout, parsePreferences } from '@atelier/ws-manager';
import type { Deps } from '../app-env.js';
import { portDto, workspaceDto } from './dto.js';
import { prepareWorkspace } from './workspace-source.js';

export class WorkspaceService {
  constructor(private readonly deps: Deps) {}

  async create(user: User, request: CreateWorkspaceRequest): Promise<CreateWorkspaceResponse> {
    const { repos, manager, urls, logger } = this.deps;
    const { source, config: workspaceConfig, env } = await prepareWorkspace(this.deps, user, request);
    const id = newWorkspaceId(source.owner, source.repo, (n) => randomBytes(n));
    await repos.workspaces.create({
      id,
      ownerId: user.id,
      contextUrl: source.contextUrl,
      cloneUrl: source.cloneUrl,
      ref: source.ref ?? null,
      description: source.description,
      config: JSON.stringify(workspaceConfig),
      // the prefix's variables, kept for every start (values are not logged: a link may carry a secret)
      contextEnv: Object.keys(env).length > 0 ? JSON.stringify(env) : null,
      // a plain git URL resolves to nothing worth keeping, unless a prefix asked for something
      context:
        source.context.kind === 'git' && Object.keys(source.context).length === 1
          ? null
          : JSON.stringify(source.context),
    });
    logger.info(
      {
        workspaceId: id,
        userId: user.id,
        context: source.context.kind,
        ref: source.ref ?? null,
        configOrigin: workspaceConfig.origin,
        configFile: workspaceConfig.file,
        contextEnv: Object.keys(env),
      },
      'workspace created',
    );
    const started = await manager.start(id);
    return { id, instanceId: started.instanceId, phase: started.phase, url: workspaceUrl(urls, id) };
  }

  /** The caller's workspaces, newest first. */
  async list(user: User): Promise<WorkspaceDto[]> {
    const rows = (await this.deps.repos.workspaces.listByOwner(user.id)).filter((w) => !w.deletedAt);
    rows.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    return Promise.all(rows.map((w) => this.dto(w)));
  }

  async get(user: User, id: WorkspaceId): Promise<WorkspaceDto> {
    return this.dto(await this.owned(user, id));
  }

  async start(user: User, id: WorkspaceId): Promise<WorkspaceDto> {
    const workspace = await this.owned(user, id);
    const latest = await this.deps.repos.instances.latestForWorkspace(id);
    if (latest && latest.phase !== 'stopped') {
      throw new AppError('conflict', `workspace ${id} is ${latest.phase}; stop it before starting it again`);
    }
    await this.deps.manager.start(id);
    return this.dto(workspace);
  }

  async stop(user: User, id: WorkspaceId): Promise<WorkspaceDto> {
    const workspace = await this.owned(user, id);
    const latest = await this.deps.repos.instances.latestForWorkspace(id);
    if (!latest || latest.phase === 'stopped') {
      throw new AppError('conflict', `workspace ${id} is not running`);
    }
    await this.deps.manager.stop(latest.id, 'stopped by the owner');
    return this.dto(workspace);
  }

  async delete(user: User, id: WorkspaceId): Promise<void> {
    await this.owned(user, id);
    await this.deps.manager.delete(id);
    this.deps.logger.info({ workspaceId: id, userId: user.id }, 'workspace deleted');
  }

  /** The owner token of the active instance: the proxy accepts it for the workspace's hosts. */
  async ownerToken(user: User, id: WorkspaceId): Promise<string> {
    await this.owned(user, id);
    const latest = await this.deps.repos.instances.latestForWorkspace(id);
    if (!latest || !isActive(latest.phase)) {
      throw new AppError('conflict', `workspace ${id} is not running: start it first`);
    }
    return this.deps.secrets.open(latest.ownerTokenSealed);
  }

  /** The workspace if the user owns it; another user's workspace is "not found", like a missing one. */
  async owned(user: Pick<User, 'id'>, id: WorkspaceId): Promise<Workspace> {
    const workspace = await this.deps.repos.workspaces.get(id);
    if (!workspace || workspace.deletedAt || workspace.ownerId !== user.id) {
      throw new AppError('not_found', `workspace ${id} not found`);
    }
    return workspace;
  }

  /** Sets who may reach a port, running or not; the proxy applies it from the next request on. */
  async setPortVisibility(
    user: User,
    id: WorkspaceId,
    port: number,
    visibility: PortVisibility,
  ): Promise<PortDto> {
    const workspace = await this.owned(user, id);
    await this.deps.repos.ports.set(id, port, visibility);
    this.deps.logger.info({ workspaceId: id, userId: user.id, port, visibility }, 'port visibility set');
    const instance = await this.deps.repos.instances.latestForWorkspace(id);
    const listed = (await this.ports(workspace, instance)).find((p) => p.port === port);
    // listPorts lists every port with a stored visibility, so this only fails if that rule changes
    if (!listed) throw new AppError('internal', `port ${port} of workspace ${id} is missing from its list`);
    return portDto(this.deps.urls, id, listed);
  }

  /** Turns the workspace-wide share switch on or off: anyone with the URL may then use it. */
  async setSharing(user: User, id: WorkspaceId, shared: boolean): Promise<WorkspaceDto> {
    await this.owned(user, id);
    if (!(await this.deps.repos.workspaces.setShared(id, shared))) {
      throw new AppError('not_found', `workspace ${id} does not exist`);
    }
    this.deps.logger.info({ workspaceId: id, userId: user.id, shared }, 'workspace sharing set');
    return this.get(user, id);
  }

  /** The workspace as the API shows it: latest instance, its ports, last verified backup. */
  async dto(workspace: Workspace): Promise<WorkspaceDto> {
    const { repos, urls } = this.deps;
    const [instance, lastBackup] = await Promise.all([
      repos.instances.latestForWorkspace(workspace.id),
      repos.backups.latestVerified(workspace.id),
    ]);
    const [ports, activity] = await Promise.all([
      this.ports(workspace, instance),
      this.activity(workspace, instance),
    ]);
    return workspaceDto(urls, workspace, instance, ports, lastBackup, activity);
  }

  /** When a running instance stops if nothing happens, and what kept it alive so far. */
  private async activity(
    workspace: Workspace,
    instance: Instance | undefined,
  ): Promise<WorkspaceActivity | null> {
    if (instance?.phase !== 'running') return null;
    const { repos, config } = this.deps;
    const owner = await repos.users.get(workspace.ownerId);
    const inactivity = inactivityTimeout(
      config.workspace.timeouts,
      workspace,
      parsePreferences(owner?.preferences ?? null),
    );
    return activityOf(instance, inactivity.ms, config.workspace.timeouts);
  }

  /** Configured, served and owner-set ports, merged. */
  private async ports(workspace: Workspace, instance: Instance | undefined): Promise<ListedPort[]> {
    const { repos, manager } = this.deps;
    const [served, overrides] = await Promise.all([
      instance?.phase === 'running' ? manager.listeningPorts(instance.id) : [],
      repos.ports.list(workspace.id),
    ]);
    return listPorts(storedConfigPorts(workspace.id, workspace.config), served, overrides);
  }
}
