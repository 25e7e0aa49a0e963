// The seam between the manager and where workspaces run: Docker Engine API today, Kubernetes later.
import type { Readable } from 'node:stream';
import type { EngineRegistryAuth, InstanceId } from '@atelier/protocol';

export interface WorkspaceSpec {
  instanceId: string;
  workspaceId: string;
  ownerId: string;
  image: string;
  /** environment of the supervisor process (its config among it) */
  env: Record<string, string>;
  cpu: number;
  memoryBytes: number;
  /** host paths mounted read-only at the same path (file:// repositories) */
  readOnlyHostPaths: string[];
  /** the browser IDE, mounted read-only at IDE_MOUNTS; absent: the workspace gets the terminal page */
  ide?: IdeHostPaths;
}

/** Where the browser IDE lives on the host (one install, shared by every workspace). */
export interface IdeHostPaths {
  /** a folder with bin/node (the Node code-server needs) */
  nodeDir: string;
  /** the node_modules folder that holds code-server */
  codeServerModules: string;
  /** a folder with the .vsix files every workspace gets (Atelier's extension) */
  extensionsDir: string;
  /** the .vsix files' names in extensionsDir */
  extensions: string[];
}

/** Where a workspace container sees the IDE (the same in a cluster, where an IDE image provides it). */
export const IDE_MOUNTS = {
  nodeDir: '/.ide/node',
  node: '/.ide/node/bin/node',
  codeServerModules: '/.ide/code-server/node_modules',
  entry: '/.ide/code-server/node_modules/code-server/out/node/entry.js',
  extensionsDir: '/.ide/extensions',
} as const;

/** What the manager persists to find the runtime's objects again after a restart. */
export interface RuntimeRef {
  container: string;
  volume: string;
}

export interface Endpoint {
  host: string;
  port: number;
}

export type RuntimeState =
  | { kind: 'absent' }
  | { kind: 'created' }
  | { kind: 'running'; endpoint: Endpoint | undefined }
  | { kind: 'exited'; exitCode: number; error: string | undefined };

export interface RuntimeEvent {
  instanceId: InstanceId;
  kind: 'died' | 'removed';
}

export interface ListedWorkspace {
  instanceId: InstanceId;
  workspaceId: string;
  ref: RuntimeRef;
  running: boolean;
}

export interface WorkspaceRuntime {
  /** "ok", or throws an AppError('unavailable') that says how to start the engine */
  ping(): Promise<void>;
  /** The image's user (name or uid); pulls the image when missing (with `auth` when given). */
  prepareImage(
    image: string,
    onProgress: (line: string) => void,
    auth?: EngineRegistryAuth | undefined,
  ): Promise<{ user: string }>;
  /** Creates volume and container (not started); idempotent: returns the existing ones. */
  create(spec: WorkspaceSpec): Promise<RuntimeRef>;
  start(ref: RuntimeRef): Promise<void>;
  state(ref: RuntimeRef): Promise<RuntimeState>;
  /** Stops the workspace container with a grace period; idempotent. */
  stop(ref: RuntimeRef, graceMs: number): Promise<void>;
  /** Tar stream of /workspace, owners kept; works when the container is stopped. */
  exportContent(ref: RuntimeRef, image: string, exclude: string[]): Promise<ContentExport>;
  /** Unpacks a tar stream into /workspace of a running container, owners kept. */
  importContent(ref: RuntimeRef, tar: Readable): Promise<void>;
  /** Removes container, volume and helpers; idempotent. */
  delete(ref: RuntimeRef): Promise<void>;
  /** Every workspace of this installation the engine knows, for re-adoption after a restart. */
  list(): Promise<ListedWorkspace[]>;
  /** Container deaths and removals, as they happen; ends when the signal aborts. */
  events(signal: AbortSignal): AsyncIterable<RuntimeEvent>;
}

export interface ContentExport {
  tar: Readable;
  /** resolves when the exporter exited 0, rejects with its error output otherwise */
  done: Promise<void>;
}
