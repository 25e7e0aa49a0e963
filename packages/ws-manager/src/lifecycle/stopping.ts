// The stop path: stopping → (backup, verified and recorded) → container and volume removed → stopped.
// Content is deleted only after its backup is verified; a failed backup is retried, never skipped.
import type { Instance } from '@atelier/db';
import { AppError } from '@atelier/protocol';
import { errorMessage, type LifecycleContext, runtimeRecord, sleep, supervisorOf } from '../context.js';
import { backupContent } from './content.js';
import { saveTaskOutput } from './task-output.js';

export interface StopOptions {
  /** the workspace is being deleted: no backup */
  discardContent: boolean;
}

export async function driveStop(
  ctx: LifecycleContext,
  instance: Instance,
  opts: StopOptions,
): Promise<Instance> {
  let current = instance;
  if (current.phase === 'stopped') return current;
  if (current.phase !== 'stopping') {
    const from = [
      'preparing',
      'building',
      'pending',
      'creating',
      'initializing',
      'running',
      'interrupted',
      'unknown',
    ] as const;
    const stoppedReason = current.failed ? 'failed to start' : (current.message ?? 'stopped');
    const next = await ctx.repos.instances.transitionIf(current.id, [...from], 'stopping', { stoppedReason });
    if (!next) return (await ctx.repos.instances.get(current.id)) ?? current;
    current = next;
    ctx.announce(current);
  }
  const { ref } = runtimeRecord(current);
  // the supervisor keeps task output in memory only: read it while the container still runs
  if (!opts.discardContent) await saveTaskOutput(ctx, current, supervisorOf(ctx, current));
  await ctx.runtime.stop(ref, ctx.config.workspace.timeouts.stopGrace);
  if (!opts.discardContent && current.phaseTimes.running) {
    current = await backupWithRetry(ctx, current);
    if (ctx.signal.aborted) return current;
  }
  await ctx.runtime.delete(ref);
  const stopped = await ctx.repos.instances.transition(current.id, 'stopped', { message: null });
  // the workspace token dies with the instance
  if (stopped.workspaceTokenHash) await ctx.repos.instances.update(stopped.id, { workspaceTokenHash: null });
  ctx.announce(stopped);
  return stopped;
}

async function backupWithRetry(ctx: LifecycleContext, instance: Instance): Promise<Instance> {
  for (let attempt = 1; !ctx.signal.aborted; attempt++) {
    try {
      ctx.announce(await ctx.repos.instances.update(instance.id, { message: 'saving /workspace' }));
      await backupContent(ctx, instance);
      return await ctx.repos.instances.update(instance.id, { message: 'backup saved' });
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found' && /volume/.test(e.message)) {
        // the content is gone (volume removed outside Atelier): keep the previous backup as it is
        ctx.logger.error({ instanceId: instance.id, err: errorMessage(e) }, 'nothing to back up');
        return await ctx.repos.instances.update(instance.id, {
          failed: `${e.message}; the previous backup is kept`,
        });
      }
      const delay = ctx.retryDelayMs(attempt);
      const message = `backup failed (attempt ${attempt}): ${errorMessage(e)} — the workspace content is kept; retrying in ${Math.round(delay / 1000)} s`;
      ctx.logger.error(
        { workspaceId: instance.workspaceId, instanceId: instance.id, attempt, err: errorMessage(e) },
        'backup failed',
      );
      ctx.announce(await ctx.repos.instances.update(instance.id, { message }));
      await sleep(delay, ctx.signal);
    }
  }
  return instance;
}
