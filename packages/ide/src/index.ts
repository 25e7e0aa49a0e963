// Public surface of @atelier/ide: VS Code for the browser (code-server) and its Node, installed once.
export {
  DEFAULT_CODE_SERVER_VERSION,
  DEFAULT_NODE_VERSION,
  type EnsureIdeOptions,
  ensureIde,
  findIde,
  type IdeInstall,
  type IdeVersions,
} from './install.js';
