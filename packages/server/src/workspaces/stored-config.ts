// The configuration kept with a workspace when it was made (workspaces.config, a WorkspaceConfig
// as JSON): read whole for its tasks, or summed up for the API (origin, file, warnings).
import type { Workspace } from '@atelier/db';
import {
  AppError,
  type WorkspaceConfig,
  type WorkspaceConfigSummary,
  workspaceConfigSchema,
} from '@atelier/protocol';

/** The stored configuration; undefined for workspaces made before configuration files were read. */
export function storedConfig(workspace: Pick<Workspace, 'id' | 'config'>): WorkspaceConfig | undefined {
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

/** Origin, file and warnings of the stored configuration, as the workspace body shows them. */
export function configSummary(workspace: Pick<Workspace, 'id' | 'config'>): WorkspaceConfigSummary | null {
  const config = storedConfig(workspace);
  if (!config) return null;
  return { origin: config.origin, file: config.file ?? null, warnings: config.warnings };
}
