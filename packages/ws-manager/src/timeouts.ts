// Time-outs of a running workspace (Gitpod's rules, durations from config): inactivity (the
// workspace's, the owner's or the installation's), after the IDE closed, and maximum lifetime.
import type { Instance, Workspace } from '@atelier/db';
import {
  type ActivitySource,
  activitySourceSchema,
  type Config,
  formatDuration,
  parseDuration,
  type UserPreferences,
  userPreferencesSchema,
  type WorkspaceActivity,
} from '@atelier/protocol';

type Timeouts = Config['workspace']['timeouts'];

export interface InactivityTimeout {
  ms: number;
  source: 'default' | 'user' | 'workspace';
}

/** The inactivity time-out in force: the workspace's own, else the owner's preference, else the default. */
export function inactivityTimeout(
  timeouts: Timeouts,
  workspace: Pick<Workspace, 'timeoutMs'>,
  preferences: UserPreferences,
): InactivityTimeout {
  if (!timeouts.allowUserTimeouts) return { ms: timeouts.inactivity, source: 'default' };
  const cap = (ms: number) => Math.min(ms, timeouts.userMax);
  if (workspace.timeoutMs !== null && workspace.timeoutMs > 0) {
    return { ms: cap(workspace.timeoutMs), source: 'workspace' };
  }
  const preferred = preferences.timeout === undefined ? undefined : parseDuration(preferences.timeout);
  if (preferred !== undefined && preferred > 0) return { ms: cap(preferred), source: 'user' };
  return { ms: timeouts.inactivity, source: 'default' };
}

/** When a running instance stops if nothing happens, and by which rule; null when it is not running. */
export function activityOf(
  instance: Instance,
  inactivityMs: number,
  timeouts: Timeouts,
): WorkspaceActivity | null {
  const runningSince = instance.phaseTimes.running;
  if (!runningSince || instance.phase !== 'running') return null;
  const lastActivityAt = instance.lastActivityAt ?? runningSince;
  const last = Date.parse(lastActivityAt);
  const candidates: [number, WorkspaceActivity['stopsBecause']][] = [
    [Date.parse(runningSince) + timeouts.maxLifetime, 'max-lifetime'],
    [last + inactivityMs, 'inactivity'],
  ];
  if (instance.ideClosedAt && timeouts.afterClose > 0) {
    candidates.push([Math.max(last, Date.parse(instance.ideClosedAt)) + timeouts.afterClose, 'ide-closed']);
  }
  candidates.sort((a, b) => a[0] - b[0]);
  const [stopsAt, stopsBecause] = candidates[0] as [number, WorkspaceActivity['stopsBecause']];
  const source = activitySourceSchema.safeParse(instance.lastActivitySource);
  return {
    lastActivityAt,
    lastActivitySource: source.success ? source.data : null,
    ideClosedAt: instance.ideClosedAt,
    inactivityTimeoutMs: inactivityMs,
    stopsAt: new Date(stopsAt).toISOString(),
    stopsBecause,
  };
}

/** Why a running instance must stop now, or undefined while it may go on. */
export function timeoutReason(
  instance: Instance,
  inactivityMs: number,
  timeouts: Timeouts,
  now: Date,
): string | undefined {
  const activity = activityOf(instance, inactivityMs, timeouts);
  if (!activity || now.getTime() < Date.parse(activity.stopsAt)) return undefined;
  switch (activity.stopsBecause) {
    case 'max-lifetime':
      return `timed out: the workspace reached its maximum lifetime of ${formatDuration(timeouts.maxLifetime)}`;
    case 'inactivity':
      return `timed out: no activity for ${formatDuration(inactivityMs)}`;
    case 'ide-closed':
      return `timed out: the IDE was closed ${formatDuration(timeouts.afterClose)} ago and nothing happened since`;
  }
}

/** A user's stored preferences; what cannot be read (hand-edited, older shape) counts as no preference. */
export function parsePreferences(text: string | null): UserPreferences {
  if (!text) return {};
  try {
    const parsed = userPreferencesSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {}; // invalid JSON in the column: the defaults apply, as the comment above says
  }
}

/** The activity a heartbeat records: now, from `source`; `closed` marks (or clears) the IDE's last tab. */
export function heartbeatPatch(
  instance: Instance,
  beat: { source: ActivitySource; closed: boolean },
  now: Date,
): Pick<Instance, 'lastActivityAt' | 'lastActivitySource' | 'ideClosedAt'> {
  const at = now.toISOString();
  let ideClosedAt = instance.ideClosedAt;
  if (beat.source === 'ide' || beat.source === 'terminal')
    ideClosedAt = beat.closed ? (instance.ideClosedAt ?? at) : null;
  return { lastActivityAt: at, lastActivitySource: beat.source, ideClosedAt };
}
