// Keeps the tasks' output when an instance stops: the supervisor holds it only in memory, so it is
// copied into the instance's logs before the container goes. Best effort: the stop never waits on it.
import type { Instance } from '@atelier/db';
import { taskLogStream } from '@atelier/protocol';
import { errorMessage, type LifecycleContext } from '../context.js';
import type { SupervisorClient } from '../supervisor-client.js';

/**
 * Appends each started task's output to the stream `task-<index>` of the instance. A stream that
 * already has chunks was saved by an earlier attempt of this stop and is left as it is.
 */
export async function saveTaskOutput(
  ctx: Pick<LifecycleContext, 'repos' | 'logger'>,
  instance: Pick<Instance, 'id' | 'workspaceId'>,
  supervisor: SupervisorClient | undefined,
): Promise<void> {
  if (!supervisor) return; // no container was ever reachable: no task ran
  const ids = { workspaceId: instance.workspaceId, instanceId: instance.id };
  let tasks: Awaited<ReturnType<SupervisorClient['tasks']>>['tasks'];
  try {
    ({ tasks } = await supervisor.tasks());
  } catch (e) {
    ctx.logger.warn(
      { ...ids, err: errorMessage(e) },
      'task output not saved: the supervisor did not list the tasks',
    );
    return;
  }
  for (const task of tasks) {
    if (task.state === 'pending') continue;
    const stream = taskLogStream(task.index);
    try {
      if ((await ctx.repos.logs.lastSeq(instance.id, stream)) >= 0) continue;
      const text = await supervisor.taskOutput(task.index, 5_000);
      await ctx.repos.logs.append(instance.id, stream, text);
    } catch (e) {
      ctx.logger.warn({ ...ids, task: task.index, err: errorMessage(e) }, 'task output not saved');
    }
  }
}
