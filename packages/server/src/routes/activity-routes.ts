// What keeps a workspace alive and what `gp` asks of the API: heartbeats, the inactivity time-out,
// the ports list, the variables that apply to the workspace, and the user's preferences.
import {
  AppError,
  formatDuration,
  parseContextUrl,
  parseDuration,
  setWorkspaceTimeoutRequestSchema,
  type UserPreferences,
  type UserPreferencesResponse,
  userEnvFor,
  userPreferencesSchema,
  type WorkspaceTimeoutDto,
  workspaceHeartbeatRequestSchema,
  workspaceIdSchema,
} from '@atelier/protocol';
import { heartbeatPatch, inactivityTimeout, parsePreferences } from '@atelier/ws-manager';
import type { Context, Hono } from 'hono';
import { readJson, readParam } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { NO_STORE, type RouteContext } from './context.js';

export function activityRoutes(app: Hono<AppEnv>, { deps, auth, workspaces }: RouteContext): void {
  const { repos, config, secrets, logger, clock } = deps;
  const { timeouts } = config.workspace;
  const target = async (c: Context<AppEnv>) => {
    const user = await auth.requireUser(c);
    const id = readParam(c, 'id', workspaceIdSchema);
    return { user, workspace: await workspaces.owned(user, id) };
  };

  app.post('/api/v1/workspaces/:id/heartbeat', async (c) => {
    const { workspace } = await target(c);
    const beat = await readJson(c, workspaceHeartbeatRequestSchema);
    const caller = await auth.caller(c);
    if (caller?.workspace && caller.workspace.instanceId !== beat.instanceId) {
      throw new AppError('permission_denied', 'a workspace token sends heartbeats for its own instance only');
    }
    const instance = await repos.instances.get(beat.instanceId as never);
    if (!instance || instance.workspaceId !== workspace.id || instance.phase !== 'running') {
      throw new AppError(
        'conflict',
        `instance ${beat.instanceId} of workspace ${workspace.id} is not running`,
      );
    }
    await repos.instances.update(instance.id, heartbeatPatch(instance, beat, clock()));
    return c.body(null, 204);
  });

  const timeoutDto = async (workspaceId: string): Promise<WorkspaceTimeoutDto> => {
    const workspace = await repos.workspaces.get(workspaceId as never);
    const owner = workspace && (await repos.users.get(workspace.ownerId));
    if (!workspace) throw new AppError('not_found', `workspace ${workspaceId} not found`);
    const inactivity = inactivityTimeout(timeouts, workspace, parsePreferences(owner?.preferences ?? null));
    return {
      inactivityMs: inactivity.ms,
      inactivity: formatDuration(inactivity.ms),
      source: inactivity.source,
      userTimeoutsAllowed: timeouts.allowUserTimeouts,
      maxMs: timeouts.userMax,
      afterCloseMs: timeouts.afterClose,
      maxLifetimeMs: timeouts.maxLifetime,
    };
  };

  app.get('/api/v1/workspaces/:id/timeout', async (c) => {
    const { workspace } = await target(c);
    return c.json(await timeoutDto(workspace.id));
  });

  app.put('/api/v1/workspaces/:id/timeout', async (c) => {
    const { user, workspace } = await target(c);
    const { timeout } = await readJson(c, setWorkspaceTimeoutRequestSchema);
    const ms = checkUserTimeout(timeout, timeouts);
    await repos.workspaces.setTimeout(workspace.id, ms);
    logger.info({ workspaceId: workspace.id, userId: user.id, timeoutMs: ms }, 'workspace time-out set');
    return c.json(await timeoutDto(workspace.id));
  });

  app.get('/api/v1/workspaces/:id/ports', async (c) => {
    const { user, workspace } = await target(c);
    return c.json({ ports: (await workspaces.get(user, workspace.id)).ports });
  });

  // the owner's variables that apply to this workspace, with values: the workspace has them in its environment already
  app.get('/api/v1/workspaces/:id/env-vars', async (c) => {
    const { user, workspace } = await target(c);
    const repo = parseContextUrl(workspace.cloneUrl);
    const fullName = `${repo.owner ?? ''}/${repo.repo ?? ''}`;
    const rows = await repos.envVars.forRepository(user.id, fullName);
    const values = userEnvFor(
      rows.map((r) => ({
        name: r.name,
        repositoryPattern: r.repositoryPattern,
        value: secrets.open(r.valueSealed),
      })),
      fullName,
    );
    const variables = rows
      .filter((r) => values[r.name] !== undefined)
      .map((r) => ({ name: r.name, value: values[r.name] as string, repositoryPattern: r.repositoryPattern }))
      .filter((v, i, all) => all.findIndex((o) => o.name === v.name) === i);
    return c.json({ variables }, 200, NO_STORE);
  });

  const preferencesDto = (preferences: UserPreferences): UserPreferencesResponse => ({
    preferences,
    defaults: { ide: config.ide.default, timeout: formatDuration(timeouts.inactivity) },
    userTimeoutsAllowed: timeouts.allowUserTimeouts,
    maxTimeout: formatDuration(timeouts.userMax),
  });

  app.get('/api/v1/user/preferences', async (c) => {
    const user = await auth.requireUser(c);
    return c.json(preferencesDto(parsePreferences(user.preferences)));
  });

  app.put('/api/v1/user/preferences', async (c) => {
    const user = await auth.requireUser(c);
    const preferences = await readJson(c, userPreferencesSchema);
    if (preferences.timeout !== undefined) checkUserTimeout(preferences.timeout, timeouts);
    await repos.users.update(user.id, { preferences: JSON.stringify(preferences) });
    logger.info({ userId: user.id, ide: preferences.ide, timeout: preferences.timeout }, 'preferences set');
    return c.json(preferencesDto(preferences));
  });
}

/** A time-out a user chose, in ms: allowed by the administrator, more than 0, at most userMax. */
function checkUserTimeout(text: string, timeouts: { allowUserTimeouts: boolean; userMax: number }): number {
  if (!timeouts.allowUserTimeouts) {
    throw new AppError(
      'permission_denied',
      'the administrator does not let users change time-outs (workspace.timeouts.allowUserTimeouts is false)',
    );
  }
  // Go accepts ns and us too; Atelier counts in ms, so those round to nothing and are refused below
  const ms = parseDuration(text.replace(/(\d+)(ns|us|µs)/g, '0ms'));
  if (ms === undefined || ms <= 0) {
    throw new AppError('invalid_argument', `"${text}" is not a time-out: write e.g. 30m, 3h or 1h30m`);
  }
  if (ms > timeouts.userMax) {
    throw new AppError(
      'invalid_argument',
      `${text} is longer than the ${formatDuration(timeouts.userMax)} a workspace may idle: choose ${formatDuration(timeouts.userMax)} or less`,
    );
  }
  return ms;
}
