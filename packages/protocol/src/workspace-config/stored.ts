// The configuration kept with a workspace when it was made (workspaces.config: a WorkspaceConfig as
// JSON), read back by whoever needs it: the manager for a start, the server for the API.
import { AppError } from '../errors.js';
import { type WorkspaceConfig, workspaceConfigSchema } from './types.js';

/** The stored configuration; undefined for workspaces made before configuration files were read. */
export function parseStoredConfig(workspace: {
  id: string;
  config: string | null;
}): WorkspaceConfig | undefined {
  if (workspace.config === null) return undefined;
  const broken = (why: string, cause?: unknown) =>
    new AppError(
      'internal',
      `the stored configuration of workspace ${workspace.id} is not valid: ${why}`,
      undefined,
      {
        cause,
      },
    );
  let value: unknown;
  try {
    value = JSON.parse(workspace.config);
  } catch (e) {
    throw broken('not JSON', e);
  }
  const parsed = workspaceConfigSchema.safeParse(value);
  if (!parsed.success) throw broken(parsed.error.issues[0]?.message ?? 'unknown problem');
  return parsed.data;
}
