// How the proxy and the SSH gateway find and reach workspaces in this process: the database for
// routing facts, the manager for supervisor endpoints; SSH traffic counts as activity (the IDE and
// the terminal page send heartbeats of their own, on user input).
import type { Repositories, SecretBox } from '@atelier/db';
import { AppError, type InstanceId, isPublicPort, storedConfigPorts } from '@atelier/protocol';
import type { ProxyDeps, RouteTarget } from '@atelier/proxy';
import { SupervisorClient, type WorkspaceManager } from '@atelier/ws-manager';

const ACTIVITY_EVERY_MS = 30_000;

export function edgeBindings(deps: {
  repos: Repositories;
  secrets: SecretBox;
  manager: WorkspaceManager;
}): Pick<ProxyDeps, 'resolve' | 'connect'> & { markActive(instanceId: string): void } {
  const { repos, secrets, manager } = deps;
  const lastActivity = new Map<string, number>();

  const markActive = (instanceId: string) => {
    const now = Date.now();
    if (now - (lastActivity.get(instanceId) ?? 0) < ACTIVITY_EVERY_MS) return;
    lastActivity.set(instanceId, now);
    void repos.instances
      .update(instanceId as InstanceId, {
        lastActivityAt: new Date(now).toISOString(),
        lastActivitySource: 'ssh',
      })
      .catch(() => lastActivity.delete(instanceId)); // the instance may be gone; nothing to mark
  };

  return {
    markActive,
    async resolve(workspaceId: string): Promise<RouteTarget | undefined> {
      const workspace = await repos.workspaces.get(workspaceId as never);
      if (!workspace) return undefined;
      const [instance, overrides] = await Promise.all([
        repos.instances.latestForWorkspace(workspace.id),
        repos.ports.list(workspace.id),
      ]);
      if (!instance) return undefined;
      // read on every request (the proxy keeps nothing), so a visibility change applies to the next one
      const configPorts = storedConfigPorts(workspace.id, workspace.config);
      return {
        workspaceId: workspace.id,
        instanceId: instance.id,
        ownerId: workspace.ownerId,
        phase: instance.phase,
        ownerToken: secrets.open(instance.ownerTokenSealed),
        isPublicPort: (port) => isPublicPort(port, configPorts, overrides),
        shared: workspace.shared === 1,
      };
    },
    async connect(target: RouteTarget, to: 'supervisor' | number) {
      const endpoint = await manager.endpoint(target.instanceId as InstanceId);
      if (!endpoint) throw new AppError('unavailable', `workspace ${target.workspaceId} is not running`);
      const client = new SupervisorClient(endpoint);
      const socket = to === 'supervisor' ? await client.connect() : await client.openTunnel(to);
      return { socket, headers: to === 'supervisor' ? client.authHeaders : {} };
    },
  };
}
