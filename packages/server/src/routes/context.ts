// What the route modules are given: the dependencies and the services built from them.
import type { Deps } from '../app-env.js';
import type { Authenticator } from '../auth.js';
import type { WorkspaceService } from '../workspaces/service.js';

export interface RouteContext {
  deps: Deps;
  auth: Authenticator;
  workspaces: WorkspaceService;
}

/** Responses that carry a secret must not be kept by any cache. */
export const NO_STORE = { 'Cache-Control': 'no-store' } as const;
