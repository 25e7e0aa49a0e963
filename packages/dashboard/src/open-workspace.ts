// Opens a workspace in the IDE the user chose. In the browser: fetches its owner token and posts it to the workspace host, which sets the
// owner cookie and redirects to the IDE. A real form post, so the token never appears in a URL.
import type { IdeChoice, WorkspaceDto } from '@atelier/protocol';
import { api } from './api';

export async function openWorkspace(workspace: { id: string; url: string }): Promise<void> {
  const { ownerToken } = await api.ownerToken(workspace.id);
  const form = document.createElement('form');
  form.method = 'POST';
  form.enctype = 'application/x-www-form-urlencoded';
  form.action = new URL('/_atelier/auth', workspace.url).toString();
  form.hidden = true;
  for (const [name, value] of [
    ['token', ownerToken],
    ['return', workspace.url],
  ] as const) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}

/** JetBrains Gateway's link: connect over SSH (through Atelier's gateway) and open /workspace. */
export function jetbrainsGatewayUrl(ssh: NonNullable<WorkspaceDto['ssh']>): string {
  const params = new URLSearchParams({
    type: 'ssh',
    deploy: 'false',
    host: ssh.host,
    port: String(ssh.port),
    user: ssh.user,
    projectPath: '/workspace',
  });
  return `jetbrains-gateway://connect#${params.toString()}`;
}

/** VS Code Desktop's Remote-SSH link to the workspace, through Atelier's SSH gateway. */
export function vscodeDesktopUrl(ssh: NonNullable<WorkspaceDto['ssh']>): string {
  return `vscode://vscode-remote/ssh-remote+${encodeURIComponent(`${ssh.user}@${ssh.host}:${ssh.port}`)}/workspace`;
}

/** The chosen IDE: the browser (VS Code or the terminal, the workspace host decides) or a desktop link. */
export async function openInIde(workspace: WorkspaceDto, ide: IdeChoice): Promise<void> {
  if ((ide === 'vscode-desktop' || ide === 'jetbrains') && workspace.ssh) {
    location.href =
      ide === 'jetbrains' ? jetbrainsGatewayUrl(workspace.ssh) : vscodeDesktopUrl(workspace.ssh);
    return;
  }
  await openWorkspace(workspace);
}
