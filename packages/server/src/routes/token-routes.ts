// Personal access tokens of the signed-in user (for the CLI and scripts).
import { AppError, createTokenRequestSchema } from '@atelier/protocol';
import type { Hono } from 'hono';
import { createAccessToken } from '../accounts.js';
import { readJson } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { iso } from '../workspaces/dto.js';
import { NO_STORE, type RouteContext } from './context.js';

const DAY_MS = 24 * 3600 * 1000;

export function tokenRoutes(app: Hono<AppEnv>, { deps, auth }: RouteContext): void {
  const { repos, clock, logger } = deps;

  app.post('/api/v1/tokens', async (c) => {
    const user = await auth.requireUser(c);
    const body = await readJson(c, createTokenRequestSchema);
    const expiresAt =
      body.expiresInDays === undefined
        ? undefined
        : new Date(clock().getTime() + body.expiresInDays * DAY_MS);
    const created = await createAccessToken(repos, user.id, body.name, expiresAt ? { expiresAt } : {});
    logger.info({ userId: user.id, tokenId: created.id }, 'access token created');
    return c.json(created, 201, NO_STORE);
  });

  app.get('/api/v1/tokens', async (c) => {
    const user = await auth.requireUser(c);
    const tokens = await repos.tokens.listForUser(user.id);
    return c.json(
      tokens.map((t) => ({
        id: t.id,
        name: t.name,
        createdAt: iso(t.createdAt),
        expiresAt: t.expiresAt == null ? null : iso(t.expiresAt),
        lastUsedAt: t.lastUsedAt == null ? null : iso(t.lastUsedAt),
      })),
    );
  });

  app.delete('/api/v1/tokens/:id', async (c) => {
    const user = await auth.requireUser(c);
    const id = c.req.param('id');
    if (!(await repos.tokens.delete(id, user.id))) {
      throw new AppError('not_found', `access token ${id} not found`);
    }
    logger.info({ userId: user.id, tokenId: id }, 'access token deleted');
    return c.body(null, 204);
  });
}
