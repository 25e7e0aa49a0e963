// The configuration kept with a workspace when it was made (workspaces.config, a WorkspaceConfig
// as JSON), summed up for the API: origin, file, warnings.
import type { Workspace } from '@atelier/db';
import { parseStoredConfig, type WorkspaceConfigSummary } from '@atelier/protocol';

/** Origin, file and warnings of the stored configuration, as the workspace body shows them. */
export function configSummary(workspace: Pick<Workspace, 'id' | 'config'>): WorkspaceConfigSummary | null {
  const config = parseStoredConfig(workspace);
  if (!config) return null;
  return { origin: config.origin, file: config.file ?? null, warnings: config.warnings };
}
