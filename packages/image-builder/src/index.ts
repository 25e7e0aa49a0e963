// Public surface of @atelier/image-builder.
export {
  contentHash,
  EngineImageBuilder,
  type EngineImageBuilderOptions,
  LOCAL_REPOSITORY,
} from './builder.js';
export { type GitResult, gitCredentialEnv, gitFailure, gitOptionsFor, runGit } from './git.js';
export { type ImageReference, parseImageReference, type RegistryAuth, RegistryClient } from './oci.js';
export { hasRegistry, pushFeature, startTestRegistry, type TestRegistry } from './testing/registry.js';
