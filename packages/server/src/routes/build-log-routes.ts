// The image build log of a workspace's latest instance: as text, or followed live as Server-Sent
// Events until the build is over. Read from the database, so any server replica can serve it while
// the builder runs elsewhere.
import type { Instance } from '@atelier/db';
import { AppError, IMAGE_BUILD_LOG_STREAM, workspaceIdSchema } from '@atelier/protocol';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { readParam } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import type { RouteContext } from './context.js';

const POLL_MS = 250;

/** Whether more build output can still come for this instance. */
const stillBuilding = (instance: Instance | undefined) =>
  instance !== undefined && (instance.phase === 'preparing' || instance.phase === 'building');

export function buildLogRoutes(app: Hono<AppEnv>, { auth, workspaces, deps }: RouteContext): void {
  app.get('/api/v1/workspaces/:id/build-log', async (c) => {
    const user = await auth.requireUser(c);
    const id = readParam(c, 'id', workspaceIdSchema);
    await workspaces.owned(user, id);
    const { repos } = deps;
    const latest = await repos.instances.latestForWorkspace(id);
    if (!latest) throw new AppError('not_found', `workspace ${id} has not been started`);
    const follow =
      c.req.query('follow') === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!follow) {
      return c.text(await repos.logs.text(latest.id, IMAGE_BUILD_LOG_STREAM), 200, {
        'Cache-Control': 'no-store',
      });
    }
    return streamSSE(c, async (stream) => {
      let after = -1;
      let closed = false;
      stream.onAbort(() => {
        closed = true;
      });
      for (;;) {
        // read the phase first: output written before it changed is then sure to be read below
        const instance = await repos.instances.get(latest.id);
        for (;;) {
          const chunks = await repos.logs.read(latest.id, IMAGE_BUILD_LOG_STREAM, after);
          if (chunks.length === 0) break;
          for (const chunk of chunks) {
            await stream.writeSSE({ event: 'log', data: JSON.stringify({ text: chunk.chunk }) });
            after = chunk.seq;
          }
        }
        if (closed) return;
        if (!stillBuilding(instance)) {
          const phase = instance?.phase ?? 'stopped';
          await stream.writeSSE({
            event: 'end',
            data: JSON.stringify({ phase, failed: instance?.failed ?? null }),
          });
          return;
        }
        await stream.sleep(POLL_MS);
      }
    });
  });
}
