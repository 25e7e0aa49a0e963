// Who may reach a workspace, and how to reach it from a terminal or a desktop IDE: the share switch
// (anyone with the URL may use it and its ports) and the SSH gateway's command and VS Code link.
import type { WorkspaceDto } from '@atelier/protocol';
import { useEffect, useState } from 'react';
import { api } from '../api';
import { jetbrainsGatewayUrl, vscodeDesktopUrl } from '../open-workspace';
import { Link } from '../router';
import { useAction } from '../use-action';
import { ErrorMessage } from './error-message';

/** The ssh command line for a user name on the gateway, quoted for a POSIX shell. */
export function sshCommand(ssh: NonNullable<WorkspaceDto['ssh']>, user: string): string {
  const port = ssh.port === 22 ? '' : `-p ${ssh.port} `;
  return `ssh ${port}'${user}@${ssh.host}'`;
}

/** VS Code's Remote-SSH link (it authenticates with the user's SSH keys). */

export function AccessPanel({
  workspace,
  onChanged,
}: {
  workspace: WorkspaceDto;
  onChanged: (w: WorkspaceDto) => void;
}) {
  const share = useAction();
  const token = useAction();
  const [withToken, setWithToken] = useState<string | null>(null);
  // the switch moves at once; the server's answer (or a failure) settles it
  const [shared, setShared] = useState(workspace.shared);
  useEffect(() => setShared(workspace.shared), [workspace.shared]);
  const running = workspace.instance?.phase === 'running';
  const { ssh } = workspace;

  const toggle = async (next: boolean) => {
    setShared(next);
    const updated = await share.run(() => api.setSharing(workspace.id, next));
    if (updated) onChanged(updated);
    else setShared(workspace.shared);
  };
  const reveal = async () => {
    const reply = await token.run(() => api.ownerToken(workspace.id));
    if (reply && ssh) setWithToken(sshCommand(ssh, `${ssh.user}#${reply.ownerToken}`));
  };

  return (
    <section className="access" aria-labelledby="access-title" data-testid="access-panel">
      <h2 id="access-title">Access</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={shared}
          disabled={share.busy}
          onChange={(e) => void toggle(e.target.checked)}
          data-testid="share-switch"
        />{' '}
        Share: anyone with the URL may use this workspace and every port of it
      </label>
      {shared && (
        <p className="warning" role="note">
          Shared: whoever has a link can open the editor and terminals as you. Turn it off when you are done.
        </p>
      )}
      <ErrorMessage error={share.error} />
      {ssh && (
        <div className="ssh" data-testid="ssh-access">
          <p>
            SSH with one of your <Link href="/ssh-keys">SSH keys</Link>:{' '}
            <code data-testid="ssh-command">{sshCommand(ssh, ssh.user)}</code>
          </p>
          {running && (
            <p>
              Or with this start's token (no key needed):{' '}
              {withToken ? (
                <code data-testid="ssh-token-command">{withToken}</code>
              ) : (
                <button
                  type="button"
                  className="secondary"
                  disabled={token.busy}
                  onClick={() => void reveal()}
                >
                  Show command
                </button>
              )}
            </p>
          )}
          <ErrorMessage error={token.error} />
          <p>
            <a href={vscodeDesktopUrl(ssh)} data-testid="vscode-desktop">
              Open in VS Code Desktop
            </a>{' '}
            <span className="hint">(Remote-SSH extension, with one of your SSH keys)</span>
          </p>
          <p>
            <a href={jetbrainsGatewayUrl(ssh)} data-testid="jetbrains-gateway">
              Open in JetBrains Gateway
            </a>{' '}
            <span className="hint">
              (SSH connection to {ssh.host}:{ssh.port} as {ssh.user}, project /workspace)
            </span>
          </p>
        </div>
      )}
    </section>
  );
}
