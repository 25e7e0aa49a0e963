// One workspace in the list: what it holds, its live phase, last backup, its ports, and what can be
// done with it.
import type { PortDto, PortVisibility, WorkspaceDto } from '@atelier/protocol';
import { useState } from 'react';
import { api } from '../api';
import { openWorkspace } from '../open-workspace';
import { Link, navigate } from '../router';
import { useAction } from '../use-action';
import { StopsLine } from './activity-panel';
import { ErrorMessage } from './error-message';
import { PhaseBadge, phaseOf } from './phase-badge';

export function WorkspaceRow({
  workspace,
  onDeleted,
}: {
  workspace: WorkspaceDto;
  onDeleted: (id: string) => void;
}) {
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const phase = phaseOf(workspace);
  const { id, lastBackup } = workspace;

  const start = async () => {
    if (await action.run(() => api.startWorkspace(id))) navigate(`/start/${encodeURIComponent(id)}`);
  };
  const remove = async () => {
    const done = await action.run(async () => {
      await api.deleteWorkspace(id);
      return true;
    });
    setConfirming(false);
    if (done) onDeleted(id);
  };

  return (
    <li className="workspace" data-testid="workspace-row" data-workspace-id={id} aria-busy={action.busy}>
      <div className="what">
        <Link href={`/start/${encodeURIComponent(id)}`} className="title">
          {workspace.description}
        </Link>
        <span className="sub break">
          {workspace.contextUrl}
          {workspace.ref && ` @ ${workspace.ref}`}
        </span>
        <code className="sub">{id}</code>
      </div>
      <div className="state">
        <PhaseBadge workspace={workspace} />
        {phase !== 'stopped' && workspace.instance?.message && (
          <span className="sub">{workspace.instance.message}</span>
        )}
        {workspace.activity && <StopsLine activity={workspace.activity} />}
        <span className="sub">
          {lastBackup ? `Last backup ${new Date(lastBackup.createdAt).toLocaleString()}` : 'No backup yet'}
        </span>
      </div>
      <div className="actions">
        {confirming ? (
          <fieldset className="confirm">
            <legend>Delete {workspace.description} and its files?</legend>
            <div className="confirm-buttons">
              <button type="button" className="danger" disabled={action.busy} onClick={remove}>
                Delete for good
              </button>
              <button
                type="button"
                className="secondary"
                disabled={action.busy}
                onClick={() => setConfirming(false)}
              >
                Cancel
              </button>
            </div>
          </fieldset>
        ) : (
          <>
            {phase === 'running' && (
              <button
                type="button"
                disabled={action.busy}
                onClick={() => action.run(() => openWorkspace(workspace))}
              >
                Open
              </button>
            )}
            {phase === 'stopped' ? (
              <button type="button" disabled={action.busy} onClick={start}>
                Start
              </button>
            ) : (
              <button
                type="button"
                className="secondary"
                disabled={action.busy || phase === 'stopping'}
                onClick={() => action.run(() => api.stopWorkspace(id))}
              >
                Stop
              </button>
            )}
            <button
              type="button"
              className="secondary"
              disabled={action.busy}
              onClick={() => setConfirming(true)}
            >
              Delete
            </button>
          </>
        )}
      </div>
      <PortList workspaceId={id} ports={workspace.ports} />
      <ErrorMessage error={action.error} />
    </li>
  );
}

/** The workspace's ports: a link to each served one, and a switch between private and public. */
function PortList({ workspaceId, ports }: { workspaceId: string; ports: PortDto[] }) {
  const action = useAction();
  // The PUT's answer shows at once; the next workspace event (a fresh `ports`) supersedes it.
  const [changed, setChanged] = useState<{ of: PortDto[]; visibility: Record<number, PortVisibility> }>({
    of: ports,
    visibility: {},
  });
  if (ports.length === 0) return null;
  const current = changed.of === ports ? changed.visibility : {};
  const toggle = async (port: number, next: PortVisibility) => {
    const updated = await action.run(() => api.setPortVisibility(workspaceId, port, next));
    if (updated) setChanged({ of: ports, visibility: { ...current, [port]: updated.visibility } });
  };
  return (
    <div className="ports" data-testid="ports">
      <ul>
        {ports.map((p) => {
          const visibility = current[p.port] ?? p.visibility;
          const label = p.name ? `${p.port} ${p.name}` : String(p.port);
          return (
            <li key={p.port} data-testid="port" data-port={p.port}>
              {p.served ? (
                <a href={p.url} target="_blank" rel="noopener noreferrer">
                  {label}
                </a>
              ) : (
                <span>{label}</span>
              )}{' '}
              <span className="sub">
                {visibility} · {p.served ? 'served' : 'not served'}
              </span>{' '}
              <button
                type="button"
                className="secondary"
                disabled={action.busy}
                data-testid="port-visibility"
                onClick={() => toggle(p.port, visibility === 'public' ? 'private' : 'public')}
              >
                {visibility === 'public' ? 'Make private' : 'Make public'}
              </button>
            </li>
          );
        })}
      </ul>
      <ErrorMessage error={action.error} />
    </div>
  );
}
