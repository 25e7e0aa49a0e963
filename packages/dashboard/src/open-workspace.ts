// Opens a workspace: fetches its owner token and posts it to the workspace host, which sets the
// owner cookie and redirects to the IDE. A real form post, so the token never appears in a URL.
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
