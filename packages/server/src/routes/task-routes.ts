// Tasks of a workspace and their output (owner only; another user's workspace is not found).
import { workspaceIdSchema } from '@atelier/protocol';
import type { Hono } from 'hono';
import { z } from 'zod';
import { readParam } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { TaskService } from '../workspaces/tasks.js';
import { NO_STORE, type RouteContext } from './context.js';

const taskIndexSchema = z
  .string()
  .regex(/^\d{1,6}$/, "a task's index is its position in the task list, from 0")
  .transform(Number);

export function taskRoutes(app: Hono<AppEnv>, { deps, auth, workspaces }: RouteContext): void {
  const tasks = new TaskService(deps, workspaces);

  app.get('/api/v1/workspaces/:id/tasks', async (c) => {
    const user = await auth.requireUser(c);
    return c.json(await tasks.list(user, readParam(c, 'id', workspaceIdSchema)), 200, NO_STORE);
  });

  app.get('/api/v1/workspaces/:id/tasks/:index/output', async (c) => {
    const user = await auth.requireUser(c);
    const id = readParam(c, 'id', workspaceIdSchema);
    const index = readParam(c, 'index', taskIndexSchema);
    // output changes while the task runs: never from a cache
    return c.text(await tasks.output(user, id, index), 200, NO_STORE);
  });
}
