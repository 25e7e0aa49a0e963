// Builds the HTTP server of Atelier: API v1 under /api/v1 and the dashboard's files for the rest.

import { AppError } from '@atelier/protocol';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { errorResponse } from './api-errors.js';
import type { AppEnv, Deps, ServerDeps } from './app-env.js';
import { Authenticator } from './auth.js';
import { dashboardFiles } from './dashboard-files.js';
import { openApiDocument } from './openapi.js';
import { requestLog, securityHeaders } from './request-log.js';
import { accountRoutes } from './routes/account-routes.js';
import { activityRoutes } from './routes/activity-routes.js';
import { authProviderRoutes } from './routes/auth-provider-routes.js';
import { buildLogRoutes } from './routes/build-log-routes.js';
import type { RouteContext } from './routes/context.js';
import { envVarRoutes } from './routes/env-var-routes.js';
import { type EventTiming, eventRoutes } from './routes/event-routes.js';
import { linkedAccountRoutes } from './routes/linked-account-routes.js';
import { oauthRoutes } from './routes/oauth-routes.js';
import { sshKeyRoutes } from './routes/ssh-key-routes.js';
import { taskRoutes } from './routes/task-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { workspaceRoutes } from './routes/workspace-routes.js';
import { AuthProviderRegistry } from './scm/provider-registry.js';
import { ensureSetupCode } from './setup-code.js';
import { readWorkspaceConfig } from './workspaces/config-files.js';
import { checkRepository } from './workspaces/repository-check.js';
import { WorkspaceService } from './workspaces/service.js';

export interface Server {
  app: Hono<AppEnv>;
  /** for node:http (the proxy calls it in-process) */
  requestListener: ReturnType<typeof getRequestListener>;
  /** the setup code to print while no user exists; undefined once one does */
  ensureSetupCode(): Promise<string | undefined>;
}

export function createServer(serverDeps: ServerDeps, options: { events?: EventTiming } = {}): Server {
  const withDefaults = {
    ...serverDeps,
    clock: serverDeps.clock ?? (() => new Date()),
    checkRepository:
      serverDeps.checkRepository ??
      (async (repository, ref, credentials) => {
        await checkRepository(repository, ref, { credentials });
        return readWorkspaceConfig(repository, ref, { credentials });
      }),
  };
  const deps: Deps = { ...withDefaults, authProviders: new AuthProviderRegistry(withDefaults) };
  const auth = new Authenticator(deps);
  const ctx: RouteContext = { deps, auth, workspaces: new WorkspaceService(deps) };
  const app = new Hono<AppEnv>();

  app.use('*', securityHeaders());
  app.use('*', requestLog(deps.logger));
  app.use('/api/*', auth.csrfGuard());
  app.use('/api/*', auth.workspaceScopeGuard());
  app.onError((err, c) => errorResponse(err, c, deps.logger));

  accountRoutes(app, ctx);
  tokenRoutes(app, ctx);
  envVarRoutes(app, ctx);
  sshKeyRoutes(app, ctx);
  workspaceRoutes(app, ctx);
  activityRoutes(app, ctx);
  oauthRoutes(app, ctx);
  linkedAccountRoutes(app, ctx);
  authProviderRoutes(app, ctx);
  buildLogRoutes(app, ctx);
  taskRoutes(app, ctx);
  eventRoutes(app, ctx, options.events);
  const openapi = openApiDocument(auth.cookieName);
  app.get('/api/v1/openapi.json', (c) => c.json(openapi));

  app.all('/api/*', (c) => {
    throw new AppError('not_found', `no route ${c.req.method} ${c.req.path}: see /api/v1/openapi.json`);
  });
  app.all('/metrics', (c) => {
    throw new AppError('not_found', `no route ${c.req.method} ${c.req.path}`);
  });
  app.all('*', dashboardFiles(deps.dashboardDir));

  return {
    app,
    requestListener: getRequestListener(app.fetch),
    ensureSetupCode: () => ensureSetupCode(deps.repos, deps.secrets),
  };
}
