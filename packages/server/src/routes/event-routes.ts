// Server-Sent Events: the caller's workspaces as they change (event "workspace"; "deleted" when
// one is gone), fed by the workspace manager's updates, re-read from the database.
import type { User } from '@atelier/db';
import { type WorkspaceDto, type WorkspaceId, workspaceIdSchema } from '@atelier/protocol';
import type { Context, Hono } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { readParam } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import type { RouteContext } from './context.js';

export interface EventTiming {
  /** a comment line keeps proxies from closing an idle stream */
  pingMs: number;
  /** updates within this window are sent once, as the latest state */
  coalesceMs: number;
}

const DEFAULT_TIMING: EventTiming = { pingMs: 15_000, coalesceMs: 100 };

export function eventRoutes(app: Hono<AppEnv>, ctx: RouteContext, timing = DEFAULT_TIMING): void {
  app.get('/api/v1/events', async (c) => {
    const user = await ctx.auth.requireUser(c);
    return workspaceStream(c, ctx, timing, user, undefined);
  });

  app.get('/api/v1/workspaces/:id/events', async (c) => {
    const user = await ctx.auth.requireUser(c);
    const id = readParam(c, 'id', workspaceIdSchema);
    await ctx.workspaces.owned(user, id); // 404 before the stream starts
    return workspaceStream(c, ctx, timing, user, id);
  });
}

function workspaceStream(
  c: Context<AppEnv>,
  { deps, workspaces }: RouteContext,
  timing: EventTiming,
  user: User,
  only: WorkspaceId | undefined,
): Response {
  const log = deps.logger.child({ requestId: c.get('requestId'), userId: user.id });
  return streamSSE(
    c,
    async (stream) => {
      /** workspaces this caller owns that the stream has shown; a vanished one gets a "deleted" event */
      const known = new Set<string>();
      const pending = new Set<WorkspaceId>();
      let timer: NodeJS.Timeout | undefined;
      let sending: Promise<void> = Promise.resolve();

      const send = (dto: WorkspaceDto) => {
        known.add(dto.id);
        return stream.writeSSE({ event: 'workspace', data: JSON.stringify(dto) });
      };
      const flush = async () => {
        const ids = [...pending];
        pending.clear();
        for (const id of ids) {
          if (stream.aborted) return;
          const dto = await workspaces.get(user, id).catch(() => undefined);
          if (dto) await send(dto);
          else if (known.delete(id))
            await stream.writeSSE({ event: 'deleted', data: JSON.stringify({ id }) });
        }
      };
      // Subscribe before reading the initial state so that no update falls in between.
      const unsubscribe = deps.manager.onUpdate((update) => {
        if (only !== undefined && update.workspaceId !== only) return;
        pending.add(update.workspaceId);
        timer ??= setTimeout(() => {
          timer = undefined;
          sending = sending
            .then(flush)
            .catch((err: unknown) => log.warn({ err }, 'workspace event not sent'));
        }, timing.coalesceMs);
      });
      const ping = setInterval(() => void stream.write(': ping\n\n'), timing.pingMs);
      const closed = closedPromise(stream, c.req.raw.signal);
      try {
        const initial = only ? [await workspaces.get(user, only)] : await workspaces.list(user);
        for (const dto of initial) await send(dto);
        await closed;
      } finally {
        unsubscribe();
        clearInterval(ping);
        if (timer) clearTimeout(timer);
      }
    },
    async (err) => {
      log.warn({ err }, 'event stream failed');
    },
  );
}

function closedPromise(stream: SSEStreamingApi, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.onAbort(resolve);
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
