// Workspaces of the signed-in user: create, list, show, start, stop, delete, port visibility,
// sharing, owner token.
import {
  createWorkspaceRequestSchema,
  portNumberSchema,
  setPortVisibilityRequestSchema,
  setWorkspaceSharingRequestSchema,
  workspaceIdSchema,
} from '@atelier/protocol';
import type { Context, Hono } from 'hono';
import { readJson, readParam } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { NO_STORE, type RouteContext } from './context.js';

export function workspaceRoutes(app: Hono<AppEnv>, { auth, workspaces }: RouteContext): void {
  const target = async (c: Context<AppEnv>) => ({
    user: await auth.requireUser(c),
    id: readParam(c, 'id', workspaceIdSchema),
  });

  app.post('/api/v1/workspaces', async (c) => {
    const user = await auth.requireUser(c);
    const body = await readJson(c, createWorkspaceRequestSchema);
    return c.json(await workspaces.create(user, body), 201);
  });

  app.get('/api/v1/workspaces', async (c) => {
    const user = await auth.requireUser(c);
    return c.json(await workspaces.list(user));
  });

  app.get('/api/v1/workspaces/:id', async (c) => {
    const { user, id } = await target(c);
    return c.json(await workspaces.get(user, id));
  });

  app.post('/api/v1/workspaces/:id/start', async (c) => {
    const { user, id } = await target(c);
    return c.json(await workspaces.start(user, id), 200);
  });

  app.post('/api/v1/workspaces/:id/stop', async (c) => {
    const { user, id } = await target(c);
    return c.json(await workspaces.stop(user, id), 202);
  });

  app.delete('/api/v1/workspaces/:id', async (c) => {
    const { user, id } = await target(c);
    await workspaces.delete(user, id);
    return c.body(null, 204);
  });

  app.put('/api/v1/workspaces/:id/ports/:port', async (c) => {
    const { user, id } = await target(c);
    const port = readParam(c, 'port', portNumberSchema);
    const { visibility } = await readJson(c, setPortVisibilityRequestSchema);
    return c.json(await workspaces.setPortVisibility(user, id, port, visibility));
  });

  app.put('/api/v1/workspaces/:id/sharing', async (c) => {
    const { user, id } = await target(c);
    const { shared } = await readJson(c, setWorkspaceSharingRequestSchema);
    return c.json(await workspaces.setSharing(user, id, shared));
  });

  app.get('/api/v1/workspaces/:id/owner-token', async (c) => {
    const { user, id } = await target(c);
    return c.json({ ownerToken: await workspaces.ownerToken(user, id) }, 200, NO_STORE);
  });
}
