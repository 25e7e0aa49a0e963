// Time-outs of a running workspace (Gitpod's defaults, from config): inactivity and maximum lifetime.
import type { Instance } from '@atelier/db';
import { type Config, formatDuration } from '@atelier/protocol';

type Timeouts = Config['workspace']['timeouts'];

/** Why a running instance must stop now, or undefined while it may go on. */
export function timeoutReason(instance: Instance, timeouts: Timeouts, now: Date): string | undefined {
  const runningSince = instance.phaseTimes.running;
  if (!runningSince) return undefined;
  const t = now.getTime();
  if (t - Date.parse(runningSince) > timeouts.maxLifetime) {
    return `timed out: the workspace reached its maximum lifetime of ${formatDuration(timeouts.maxLifetime)}`;
  }
  const lastActivity = Date.parse(instance.lastActivityAt ?? runningSince);
  if (t - lastActivity > timeouts.inactivity) {
    return `timed out: no activity for ${formatDuration(timeouts.inactivity)}`;
  }
  return undefined;
}
