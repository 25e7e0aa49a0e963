// /start/<id>: follows a workspace through its start phases live, and opens it once it runs; also
// where its configuration, the warnings found in it, and its tasks' output are shown.
import { type IdeChoice, phaseRank, type WorkspaceDto } from '@atelier/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, api, eventsUrl, toApiError } from '../api';
import { AccessPanel } from '../components/access-panel';
import { ActivityPanel } from '../components/activity-panel';
import { BuildLog } from '../components/build-log';
import { ConfigSummary } from '../components/config-summary';
import { ErrorMessage } from '../components/error-message';
import { phaseOf } from '../components/phase-badge';
import { PhaseSteps } from '../components/phase-steps';
import { TaskList } from '../components/task-list';
import { usePoll, useWorkspaceStream } from '../live';
import { openInIde } from '../open-workspace';
import { Link, useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

export const IDE_NAMES: Record<IdeChoice, string> = {
  code: 'VS Code',
  terminal: 'the terminal',
  'vscode-desktop': 'VS Code Desktop',
  jetbrains: 'JetBrains Gateway',
};

export function StartPage({ workspaceId }: { workspaceId: string }) {
  const [workspace, setWorkspace] = useState<WorkspaceDto | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const action = useAction();
  const opened = useRef<string | null>(null);
  /** the instance this page saw starting: only a start watched here opens the workspace by itself */
  const watched = useRef<string | null>(null);
  useTitle(workspace ? `Starting ${workspace.description}` : 'Starting');

  const reload = useCallback(async () => {
    try {
      setWorkspace(await api.getWorkspace(workspaceId));
      setLoadError(null);
    } catch (e) {
      setLoadError(toApiError(e));
    }
  }, [workspaceId]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const stream = useWorkspaceStream(eventsUrl(workspaceId), {
    onWorkspace: (w) => w.id === workspaceId && setWorkspace(w),
    onProblem: (message) => setLoadError(toApiError(new Error(message))),
  });
  usePoll(stream !== 'open', 3000, () => void reload());

  const instance = workspace?.instance ?? null;
  const phase = workspace ? phaseOf(workspace) : undefined;
  const { data: preferences, error: preferencesError } = useLoaded(api.getPreferences);
  // until the preference is known the page does not open anything; without one, VS Code
  // the IDE the workspace's link chose (referrer prefix) wins over the user's preference
  const ide: IdeChoice | undefined = workspace?.ide
    ? workspace.ide
    : preferences
      ? (preferences.preferences.ide ?? preferences.defaults.ide)
      : preferencesError
        ? 'code'
        : undefined;
  const open = useCallback(
    (w: WorkspaceDto) => action.run(() => openInIde(w, ide ?? 'code')),
    [action.run, ide],
  );
  if (instance && phase && phaseRank(phase) < phaseRank('running')) watched.current = instance.id;
  // Open automatically once per instance when a start watched here reaches "running"; a page opened
  // on a running workspace stays, to show its tasks (the "Open workspace" button opens it).
  useEffect(() => {
    if (!workspace || !instance || phase !== 'running' || opened.current === instance.id || !ide) return;
    if (watched.current !== instance.id) return;
    opened.current = instance.id;
    void open(workspace);
  }, [workspace, instance, phase, open, ide]);

  const start = () => action.run(async () => setWorkspace(await api.startWorkspace(workspaceId)));

  return (
    <section className="card start" data-testid="start-page" aria-labelledby="start-title">
      <h1 id="start-title">{workspace?.description ?? workspaceId}</h1>
      {workspace && (
        <p className="sub break">
          {workspace.contextUrl}
          {workspace.ref && ` @ ${workspace.ref}`} · <code>{workspace.id}</code>
        </p>
      )}
      <ErrorMessage error={loadError} />
      {workspace && (
        <>
          <div className="status" role="status" aria-live="polite">
            <span>
              Phase: <strong data-testid="phase">{phase}</strong>
            </span>
            {phase !== 'stopped' && instance?.message && <span className="message">{instance.message}</span>}
            {stream !== 'open' && (
              <span className="sub">(live updates reconnecting; checking every few seconds)</span>
            )}
          </div>
          <ConfigSummary config={workspace.config} />
          {instance && <PhaseSteps instance={instance} />}
          {instance?.failed && (
            <div className="error" role="alert" data-testid="start-error">
              <p>The workspace could not start: {instance.failed}</p>
              <button type="button" disabled={action.busy || phase !== 'stopped'} onClick={start}>
                Start again
              </button>
              {phase !== 'stopped' && <span className="sub"> (possible once it has stopped)</span>}
            </div>
          )}
          {instance && <BuildLog workspaceId={workspaceId} instance={instance} />}
          <ErrorMessage error={action.error} />
          <div className="actions">
            {phase === 'running' && <span>The workspace is running.</span>}
            {phase === 'running' && (
              <button
                type="button"
                disabled={action.busy}
                onClick={() => open(workspace)}
                data-testid="open-workspace"
              >
                {action.busy ? 'Opening…' : `Open in ${IDE_NAMES[ide ?? 'code']}`}
              </button>
            )}
            {phase === 'stopped' && !instance?.failed && (
              <>
                <button type="button" disabled={action.busy} onClick={start} data-testid="start-workspace">
                  Start
                </button>
                <span className="sub">
                  This workspace is stopped{instance?.stoppedReason ? ` (${instance.stoppedReason})` : ''}.
                </span>
              </>
            )}
            <Link href="/">All workspaces</Link>
          </div>
          {phase === 'running' && <ActivityPanel workspace={workspace} onChanged={() => void reload()} />}
          <AccessPanel workspace={workspace} onChanged={setWorkspace} />
          <TaskList workspaceId={workspaceId} phase={phase} />
        </>
      )}
      {!workspace && !loadError && <p role="status">Loading…</p>}
    </section>
  );
}
