// Public surface of @atelier/server: the HTTP API, and the account helpers the CLI uses.
export { createAccessToken, createUser, userDto } from './accounts.js';
export type { RepositoryCheck, ServerDeps } from './app-env.js';
export { type Housekeeping, startHousekeeping } from './housekeeping.js';
export { openApiDocument } from './openapi.js';
export { hashPassword, verifyPassword } from './passwords.js';
export type { EventTiming } from './routes/event-routes.js';
export { ownerCredentialSource } from './scm/owner-credentials.js';
export { createServer, type Server } from './server.js';
export { checkRepository } from './workspaces/repository-check.js';
