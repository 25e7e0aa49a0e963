// A repository's workspace configuration: .gitpod.yml or devcontainer.json, mapped to one shape.

export { parseDevcontainer } from './devcontainer.js';
export { parseGitpodYml } from './gitpod-yml.js';
export {
  configForPort,
  isPublicPort,
  type ListedPort,
  listPorts,
  type PortOverride,
  type PortState,
  portNumberSchema,
  storedConfigPorts,
} from './ports.js';
export { type ConfigProblem, configError, formatProblem, insideWorkspace } from './problems.js';
export { configCandidates, GITPOD_YML, loadWorkspaceConfig } from './select.js';
export { parseStoredConfig } from './stored.js';
export * from './types.js';
