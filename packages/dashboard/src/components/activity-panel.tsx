// For a running workspace: when it stops if nothing happens, by which rule, and what kept it alive
// (the last activity and where it came from); the owner may give it a longer time-out.
import { formatDuration, type WorkspaceActivity, type WorkspaceDto } from '@atelier/protocol';
import { useEffect, useState } from 'react';
import { api } from '../api';
import { useAction } from '../use-action';
import { ErrorMessage } from './error-message';

const SOURCES: Record<NonNullable<WorkspaceActivity['lastActivitySource']>, string> = {
  ide: 'VS Code',
  terminal: 'the terminal page',
  ssh: 'SSH',
  gp: 'gp',
  api: 'the API',
};

const BECAUSE: Record<WorkspaceActivity['stopsBecause'], string> = {
  inactivity: 'without activity',
  'ide-closed': 'because its IDE was closed',
  'max-lifetime': 'at the end of its maximum lifetime',
};

/** "in 27 min", "in 2 h 5 min", "1 min ago" */
export function relative(to: number, now: number): string {
  const minutes = Math.round(Math.abs(to - now) / 60_000);
  const text =
    minutes < 1
      ? 'less than a minute'
      : minutes < 60
        ? `${minutes} min`
        : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return to >= now ? `in ${text}` : `${text} ago`;
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** One line for the workspace list. */
export function StopsLine({ activity }: { activity: WorkspaceActivity }) {
  const now = useNow(15_000);
  const at = Date.parse(activity.stopsAt);
  return (
    <span className="sub" data-testid="stops-at" title={new Date(at).toLocaleString()}>
      Stops {relative(at, now)} {BECAUSE[activity.stopsBecause]}
    </span>
  );
}

export function ActivityPanel({ workspace, onChanged }: { workspace: WorkspaceDto; onChanged: () => void }) {
  const now = useNow(5_000);
  const action = useAction();
  const [timeout, setTimeoutText] = useState('');
  const activity = workspace.activity;
  if (!activity) return null;
  const stopsAt = Date.parse(activity.stopsAt);
  const last = Date.parse(activity.lastActivityAt);
  const save = async (value: string) => {
    if (await action.run(() => api.setWorkspaceTimeout(workspace.id, value))) {
      setTimeoutText('');
      onChanged();
    }
  };
  return (
    <section className="activity" aria-labelledby="activity-title" data-testid="activity-panel">
      <h2 id="activity-title">Time-out</h2>
      <p>
        Stops <strong>{relative(stopsAt, now)}</strong> ({new Date(stopsAt).toLocaleTimeString()}){' '}
        {BECAUSE[activity.stopsBecause]}, unless something happens.
      </p>
      <p className="sub" data-testid="last-activity">
        Last activity {relative(last, now)}
        {activity.lastActivitySource ? ` from ${SOURCES[activity.lastActivitySource]}` : ' (the start)'}
        {activity.ideClosedAt
          ? ` · the IDE was closed ${relative(Date.parse(activity.ideClosedAt), now)}`
          : ''}{' '}
        · inactivity time-out {formatDuration(activity.inactivityTimeoutMs)}
      </p>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void save(timeout.trim());
        }}
      >
        <label htmlFor="workspace-timeout">Time-out for this workspace</label>
        <input
          id="workspace-timeout"
          value={timeout}
          onChange={(e) => setTimeoutText(e.target.value)}
          placeholder="e.g. 3h"
          pattern="^(\d+(ms|s|m|h))+$"
          required
          data-testid="workspace-timeout"
        />
        <button type="submit" className="secondary" disabled={action.busy}>
          Set
        </button>
        <button type="button" className="secondary" disabled={action.busy} onClick={() => void save('180m')}>
          Extend to 3 h
        </button>
      </form>
      <ErrorMessage error={action.error} />
    </section>
  );
}
