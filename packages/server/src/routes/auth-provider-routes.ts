// Administrators' sign-in providers: list (the config file's too, with the callback URL to register),
// add, change, delete. Administrators only; the client secret is write-only.
import type { User } from '@atelier/db';
import {
  AppError,
  createAuthProviderRequestSchema,
  updateAuthProviderRequestSchema,
} from '@atelier/protocol';
import type { Context, Hono } from 'hono';
import { readJson } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { AuthProviderAdmin } from '../scm/provider-admin.js';
import { NO_STORE, type RouteContext } from './context.js';

/** ?force=1: go ahead although accounts are linked under the provider's id (see provider-admin.ts). */
const forced = (c: Context<AppEnv>) => ['1', 'true'].includes(c.req.query('force') ?? '');

export function authProviderRoutes(app: Hono<AppEnv>, { deps, auth }: RouteContext): void {
  const admin = new AuthProviderAdmin(deps, deps.authProviders);

  const requireAdmin = async (c: Context<AppEnv>): Promise<User> => {
    const user = await auth.requireUser(c);
    if (!user.admin) {
      throw new AppError(
        'permission_denied',
        'only administrators manage sign-in providers: ask one to add yours',
      );
    }
    return user;
  };

  app.get('/api/v1/admin/auth-providers', async (c) => {
    await requireAdmin(c);
    return c.json(await admin.list(), 200, NO_STORE);
  });

  app.post('/api/v1/admin/auth-providers', async (c) => {
    const user = await requireAdmin(c);
    const body = await readJson(c, createAuthProviderRequestSchema);
    return c.json(await admin.create(body, user, forced(c)), 201, NO_STORE);
  });

  app.patch('/api/v1/admin/auth-providers/:id', async (c) => {
    const user = await requireAdmin(c);
    const body = await readJson(c, updateAuthProviderRequestSchema);
    return c.json(await admin.update(c.req.param('id'), body, user, forced(c)), 200, NO_STORE);
  });

  app.delete('/api/v1/admin/auth-providers/:id', async (c) => {
    const user = await requireAdmin(c);
    await admin.delete(c.req.param('id'), user, forced(c));
    return c.body(null, 204);
  });
}
