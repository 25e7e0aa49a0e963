// Home: the "New workspace" form and the user's workspaces, kept live by the server's event stream.
import type { UserDto, WorkspaceDto } from '@atelier/protocol';
import { useCallback, useEffect, useState } from 'react';
import { type ApiError, api, eventsUrl, toApiError } from '../api';
import { ErrorMessage } from '../components/error-message';
import { NewWorkspaceForm } from '../components/new-workspace-form';
import { WorkspaceRow } from '../components/workspace-row';
import { usePoll, useWorkspaceStream } from '../live';
import { useTitle } from '../router';

const newestFirst = (a: WorkspaceDto, b: WorkspaceDto) => b.createdAt.localeCompare(a.createdAt);

export function WorkspacesPage({ user }: { user: UserDto }) {
  useTitle('Workspaces');
  const [workspaces, setWorkspaces] = useState<Map<string, WorkspaceDto> | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const upsert = useCallback((w: WorkspaceDto) => setWorkspaces((m) => new Map(m ?? []).set(w.id, w)), []);
  const remove = useCallback(
    (id: string) =>
      setWorkspaces((m) => {
        const next = new Map(m ?? []);
        next.delete(id);
        return next;
      }),
    [],
  );
  const reload = useCallback(async () => {
    try {
      const list = await api.listWorkspaces();
      setWorkspaces(new Map(list.map((w) => [w.id, w])));
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);
  const stream = useWorkspaceStream(eventsUrl(), {
    onWorkspace: upsert,
    onDeleted: remove,
    onProblem: (message) => setError(toApiError(new Error(message))),
  });
  usePoll(stream !== 'open', 5000, () => void reload());

  const list = workspaces
    ? [...workspaces.values()].filter((w) => w.ownerId === user.id).sort(newestFirst)
    : null;
  return (
    <>
      <NewWorkspaceForm />
      <section className="card" aria-labelledby="list-title">
        <div className="heading">
          <h1 id="list-title">Workspaces</h1>
          <span className={`live live-${stream}`} role="status">
            {stream === 'open' ? 'Live' : stream === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
        </div>
        <ErrorMessage error={error} />
        {list === null ? (
          !error && <p role="status">Loading workspaces…</p>
        ) : list.length === 0 ? (
          <p className="empty">No workspaces yet. Paste a repository URL above to create one.</p>
        ) : (
          <ul className="workspaces" data-testid="workspace-list">
            {list.map((w) => (
              <WorkspaceRow key={w.id} workspace={w} onDeleted={remove} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
