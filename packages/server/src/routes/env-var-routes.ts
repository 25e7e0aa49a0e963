// The signed-in user's environment variables for their workspaces. Values are write-only: sealed
// before they are stored, never returned, never logged (like secrets in Codespaces).
import type { UserEnvVar } from '@atelier/db';
import {
  AppError,
  MAX_USER_ENV_VARS,
  putUserEnvVarRequestSchema,
  type UserEnvVarDto,
} from '@atelier/protocol';
import type { Hono } from 'hono';
import { readJson } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { iso } from '../workspaces/dto.js';
import type { RouteContext } from './context.js';

const envVarDto = (v: UserEnvVar): UserEnvVarDto => ({
  id: v.id,
  name: v.name,
  repositoryPattern: v.repositoryPattern,
  createdAt: iso(v.createdAt),
  updatedAt: iso(v.updatedAt),
});

export function envVarRoutes(app: Hono<AppEnv>, { deps, auth }: RouteContext): void {
  const { repos, secrets, logger } = deps;

  app.get('/api/v1/user/env-vars', async (c) => {
    const user = await auth.requireUser(c);
    return c.json((await repos.envVars.list(user.id)).map(envVarDto));
  });

  app.put('/api/v1/user/env-vars', async (c) => {
    const user = await auth.requireUser(c);
    const body = await readJson(c, putUserEnvVarRequestSchema);
    const existing = await repos.envVars.list(user.id);
    const replaces = existing.some(
      (v) => v.name === body.name && v.repositoryPattern === body.repositoryPattern,
    );
    if (!replaces && existing.length >= MAX_USER_ENV_VARS) {
      throw new AppError(
        'failed_precondition',
        `you have ${existing.length} variables, the most one user may have: delete some first`,
      );
    }
    const { envVar, created } = await repos.envVars.upsert(
      user.id,
      body.name,
      body.repositoryPattern,
      secrets.seal(body.value),
    );
    logger.info(
      {
        userId: user.id,
        envVarId: envVar.id,
        name: envVar.name,
        repositoryPattern: envVar.repositoryPattern,
      },
      created ? 'environment variable created' : 'environment variable updated',
    );
    return c.json(envVarDto(envVar), created ? 201 : 200);
  });

  app.delete('/api/v1/user/env-vars/:id', async (c) => {
    const user = await auth.requireUser(c);
    const id = c.req.param('id');
    if (!(await repos.envVars.delete(user.id, id))) {
      throw new AppError('not_found', `environment variable ${id} not found`);
    }
    logger.info({ userId: user.id, envVarId: id }, 'environment variable deleted');
    return c.body(null, 204);
  });
}
