// Public surface of @atelier/ssh-gateway: SSH into workspaces for their owners.
export { startSshGateway } from './gateway.js';
export { loadOrCreateHostKeys } from './host-keys.js';
export type { SshGateway, SshGatewayDeps, SshWorkspace } from './types.js';
