// The seam between the workspace manager and the image builder: the manager asks which image a
// workspace runs and hears the build's log; in one process a direct call, in a cluster a remote one.
import type { GitCredentials } from './api.js';
import type { FeatureConfig, ImageConfig } from './workspace-config/types.js';

export interface ImageRequest {
  workspaceId: string;
  instanceId: string;
  /** clone URL as the builder reaches it */
  cloneUrl: string;
  /** the commit the configuration was read from (wins over ref) */
  revision?: string | undefined;
  ref?: string | undefined;
  image: ImageConfig;
  features: FeatureConfig[];
  /** devcontainer remoteUser: what features see as _REMOTE_USER */
  remoteUser?: string | undefined;
  /** build even when an image of the same content is cached (the context's `imagebuild/` prefix) */
  forceBuild?: boolean | undefined;
  /** the workspace owner's token for the repository's SCM (a private repository); never logged */
  credentials?: GitCredentials | undefined;
}

export interface ImageHooks {
  /** build output and the builder's own notes, as they come */
  log(text: string): void;
  /** called once before a build starts (not for a cached or named image) */
  building(): Promise<void>;
  signal: AbortSignal;
}

/** Credentials in the engine API's shape (X-Registry-Auth). */
export interface EngineRegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export interface ResolvedImage {
  /** what the runtime runs */
  ref: string;
  /** true when this call built it; false for a named image or a cache hit */
  built: boolean;
  /** the content hash of a built image (absent for named images) */
  hash?: string;
}

export interface ImageResolver {
  resolve(request: ImageRequest, hooks: ImageHooks): Promise<ResolvedImage>;
  /** credentials the runtime pulls `image` with, when its registry needs some */
  pullAuth(image: string): EngineRegistryAuth | undefined;
}
