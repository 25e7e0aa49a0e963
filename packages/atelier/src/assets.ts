// Where this process finds what other packages built: the dashboard and the VS Code extension.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function dashboardDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
  return existsSync(`${dir}/index.html`) ? dir : undefined;
}

/** The folder with Atelier's VS Code extension (atelier.vsix), if it was built. */
export function vscodeExtensionDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../vscode-extension/dist', import.meta.url));
  return existsSync(`${dir}/atelier.vsix`) ? dir : undefined;
}
