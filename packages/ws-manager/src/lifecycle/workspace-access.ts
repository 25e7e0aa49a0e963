// What a workspace gets besides its content: the API as itself (a scoped token derived from the
// supervisor's secret), the IDE it opens in, and how often its clients send heartbeats.
import { createHmac } from 'node:crypto';
import type { Instance, Workspace } from '@atelier/db';
import { hashToken } from '@atelier/db';
import {
  dashboardUrl,
  type IdeChoice,
  portUrl,
  type RepositoryContext,
  type ServerAccess,
  type SupervisorConfigInput,
  type WorkspaceConfig,
} from '@atelier/protocol';
import type { LifecycleContext } from '../context.js';
import { IDE_MOUNTS, type IdeHostPaths } from '../runtimes/types.js';

const LOCAL_HOST = /^(localhost|.*\.localhost|127(\.\d+){3}|\[::1\])$/;

/**
 * The instance's workspace token: `atw_` + HMAC(supervisor token). The same every time it is
 * computed (a resumed start makes the same one), and it reveals nothing of the supervisor's secret.
 */
export function workspaceToken(supervisorToken: string): string {
  return `atw_${createHmac('sha256', supervisorToken).update('atelier workspace API token').digest('base64url')}`;
}

/** Records the token's hash on the instance (before the container can use it) and returns the access. */
export async function grantServerAccess(ctx: LifecycleContext, instance: Instance): Promise<ServerAccess> {
  const token = workspaceToken(ctx.secrets.open(instance.supervisorTokenSealed));
  const tokenHash = hashToken(token);
  if (instance.workspaceTokenHash !== tokenHash) {
    await ctx.repos.instances.update(instance.id, { workspaceTokenHash: tokenHash });
  }
  return { ...serverEndpoint(ctx), token };
}

/**
 * Where the workspace reaches the API: workspace.serverUrl, else the public URL — through the
 * runtime's host address when the domain is this machine's (a container cannot resolve localhost).
 */
export function serverEndpoint(
  ctx: Pick<LifecycleContext, 'config' | 'urls' | 'workspaceCaPem'>,
): Omit<ServerAccess, 'token'> {
  const configured = ctx.config.workspace.serverUrl;
  const base = new URL(configured ?? dashboardUrl(ctx.urls));
  const apiUrl = `${base.origin}/api/v1`;
  const alias = ctx.config.workspace.runtime.docker.hostLoopback;
  const connectTo =
    !configured && alias && LOCAL_HOST.test(base.hostname)
      ? { host: alias, port: base.port ? Number(base.port) : base.protocol === 'https:' ? 443 : 80 }
      : null;
  return { apiUrl, connectTo, caPem: ctx.workspaceCaPem ?? null };
}

/** The supervisor's IDE settings: VS Code when chosen and installed, the terminal page otherwise. */
export function ideConfig(
  ctx: LifecycleContext,
  choice: IdeChoice,
  ide: IdeHostPaths | undefined,
  wsConfig: WorkspaceConfig | undefined,
): SupervisorConfigInput['ide'] {
  const location = wsConfig?.workspaceLocation;
  return {
    choice,
    ...(choice === 'code' && ide ? { codeServer: { node: IDE_MOUNTS.node, entry: IDE_MOUNTS.entry } } : {}),
    ...(location
      ? { workspaceLocation: location.startsWith('/') ? location : `/workspace/${location}` }
      : {}),
    builtinExtensions: (ide?.extensions ?? []).map((name) => `${IDE_MOUNTS.extensionsDir}/${name}`),
    extensions: wsConfig?.vscodeExtensions ?? [],
    ...(ctx.config.ide.openVsxUrl ? { openVsxUrl: ctx.config.ide.openVsxUrl } : {}),
  };
}

/** Heartbeats every 30 s, more often when a time-out is short (a third of it, at least every second). */
export function heartbeatIntervalMs(ctx: LifecycleContext, inactivityMs: number): number {
  const { afterClose } = ctx.config.workspace.timeouts;
  const shortest = Math.min(inactivityMs, afterClose > 0 ? afterClose : Number.POSITIVE_INFINITY);
  return Math.max(1_000, Math.min(30_000, Math.floor(shortest / 3)));
}

/** What gp info and the IDE show about the workspace. */
export function workspaceInfo(
  ctx: LifecycleContext,
  workspace: Workspace,
  repo: RepositoryContext,
): NonNullable<SupervisorConfigInput['info']> {
  return {
    dashboardUrl: dashboardUrl(ctx.urls),
    portUrlTemplate: portUrl(ctx.urls, workspace.id, 1).replace('//1-', '//{port}-'),
    contextUrl: workspace.contextUrl,
    repository:
      repo.kind === 'http'
        ? { cloneUrl: workspace.cloneUrl, owner: repo.owner ?? null, name: repo.repo ?? workspace.id }
        : null,
    ssh: ctx.urls.ssh ? { host: ctx.urls.ssh.host, port: ctx.urls.ssh.port, user: workspace.id } : null,
  };
}
