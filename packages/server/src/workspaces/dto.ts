// Database rows → the API's workspace, instance and backup bodies.
import type { Backup, Instance, Workspace } from '@atelier/db';
import {
  type BackupDto,
  type InstanceDto,
  type ListedPort,
  type PortDto,
  type PublicUrls,
  parseStoredContext,
  portUrl,
  type WorkspaceActivity,
  type WorkspaceDto,
  type WorkspaceId,
  workspaceUrl,
} from '@atelier/protocol';
import { configSummary } from './stored-config.js';

export const iso = (t: string | Date) => (typeof t === 'string' ? t : t.toISOString());
const isoOrNull = (t: string | Date | null | undefined) => (t == null ? null : iso(t));

export function instanceDto(instance: Instance): InstanceDto {
  const phaseTimes: Record<string, string> = {};
  for (const [phase, at] of Object.entries(instance.phaseTimes ?? {})) {
    if (at != null) phaseTimes[phase] = iso(at);
  }
  return {
    id: instance.id,
    workspaceId: instance.workspaceId,
    phase: instance.phase,
    phaseTimes,
    createdAt: iso(instance.createdAt),
    failed: instance.failed ?? null,
    message: instance.message ?? null,
    stoppedReason: instance.stoppedReason ?? null,
    contentSource: instance.contentSource ?? null,
  };
}

export function backupDto(backup: Backup): BackupDto {
  return {
    id: backup.id,
    instanceId: backup.instanceId,
    objectKey: backup.objectKey,
    size: Number(backup.size),
    sha256: backup.sha256,
    createdAt: iso(backup.createdAt),
    verifiedAt: isoOrNull(backup.verifiedAt),
  };
}

export function portDto(urls: PublicUrls, workspaceId: WorkspaceId, port: ListedPort): PortDto {
  return { ...port, url: portUrl(urls, workspaceId, port.port), served: port.state === 'served' };
}

export function workspaceDto(
  urls: PublicUrls,
  workspace: Workspace,
  instance: Instance | undefined,
  ports: ListedPort[],
  lastBackup: Backup | undefined,
  activity: WorkspaceActivity | null = null,
): WorkspaceDto {
  const portDtos = ports.map((p) => portDto(urls, workspace.id, p));
  const linkIde = parseStoredContext(workspace.context)?.ide;
  return {
    id: workspace.id,
    ownerId: workspace.ownerId,
    contextUrl: workspace.contextUrl,
    cloneUrl: workspace.cloneUrl,
    ref: workspace.ref ?? null,
    description: workspace.description,
    createdAt: iso(workspace.createdAt),
    url: workspaceUrl(urls, workspace.id),
    instance: instance ? instanceDto(instance) : null,
    ports: portDtos,
    lastBackup: lastBackup ? backupDto(lastBackup) : null,
    config: configSummary(workspace),
    shared: workspace.shared === 1,
    ssh: urls.ssh ? { host: urls.ssh.host, port: urls.ssh.port, user: workspace.id } : null,
    activity,
    ...(linkIde ? { ide: linkIde } : {}),
  };
}
