// The workspace manager as the server and the proxy see it; one implementation per process shape
// (in-process today, a remote client when components run as separate Deployments).
import type { InstanceId, Phase, WorkspaceId } from '@atelier/protocol';

/** What the manager tells listeners: something about this workspace's instance changed. */
export interface InstanceUpdate {
  workspaceId: WorkspaceId;
  instanceId: InstanceId;
  phase: Phase;
}

/** How the edge reaches a running instance: the supervisor's published address and secret. */
export interface SupervisorEndpoint {
  host: string;
  port: number;
  token: string;
}

export interface WorkspaceManager {
  /**
   * Starts a new instance of a workspace that has none running: restores its last verified
   * backup if it has one, clones its repository otherwise. Resolves once the instance row exists
   * (phase "pending"); the start goes on in the background and is reported through onUpdate.
   */
  start(workspaceId: WorkspaceId): Promise<{ instanceId: InstanceId; phase: Phase }>;
  /** Requests a stop (with backup). Resolves once the request is persisted. Idempotent. */
  stop(instanceId: InstanceId, reason: string): Promise<void>;
  /**
   * Deletes a workspace for good: stops a running instance without backup, removes its container,
   * volume and backups, then the rows. Resolves when all is gone.
   */
  delete(workspaceId: WorkspaceId): Promise<void>;
  /** Ports something listens on in a running instance (empty when not running). */
  listeningPorts(instanceId: InstanceId): Promise<number[]>;
  /** Where the supervisor of a running instance answers; undefined when it has none. */
  endpoint(instanceId: InstanceId): Promise<SupervisorEndpoint | undefined>;
  /** Subscribes to instance changes; returns the unsubscribe function. */
  onUpdate(listener: (update: InstanceUpdate) => void): () => void;
  /** "ok" or what is wrong (e.g. the container engine does not answer). */
  health(): Promise<{ engine: string }>;
}
