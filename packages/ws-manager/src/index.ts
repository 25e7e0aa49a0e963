// Public surface of @atelier/ws-manager.
export type { ManagerDeps } from './context.js';
export { workspaceToken } from './lifecycle/workspace-access.js';
export { LocalWorkspaceManager } from './manager.js';
export { connectEngine, type EngineAddress } from './runtimes/docker/connect.js';
export { DockerRuntime, LABELS, refFor } from './runtimes/docker/runtime.js';
export {
  IDE_MOUNTS,
  type IdeHostPaths,
  type RuntimeRef,
  type WorkspaceRuntime,
  type WorkspaceSpec,
} from './runtimes/types.js';
export { SupervisorClient } from './supervisor-client.js';
export {
  activityOf,
  heartbeatPatch,
  type InactivityTimeout,
  inactivityTimeout,
  parsePreferences,
  timeoutReason,
} from './timeouts.js';
export type { InstanceUpdate, SupervisorEndpoint, WorkspaceManager } from './types.js';
