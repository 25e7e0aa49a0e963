// The "Atelier: <workspace>" status bar item and the quick pick behind it.
import type { WorkspaceInfo } from '@atelier/protocol';
import * as vscode from 'vscode';

export const MENU_COMMAND = 'atelier.menu';

/** `ssh <user>@<host> -p <port>`, or undefined when the SSH gateway is off. */
export function sshCommand(info: WorkspaceInfo): string | undefined {
  return info.ssh ? `ssh ${info.ssh.user}@${info.ssh.host} -p ${info.ssh.port}` : undefined;
}

export class StatusMenu implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'atelier.workspace',
    vscode.StatusBarAlignment.Left,
    100,
  );
  private readonly command: vscode.Disposable;
  private info: WorkspaceInfo | undefined;

  constructor() {
    this.item.name = 'Atelier Workspace';
    this.item.command = MENU_COMMAND;
    this.command = vscode.commands.registerCommand(MENU_COMMAND, () => this.showMenu());
  }

  set(info: WorkspaceInfo): void {
    this.info = info;
    this.item.text = `$(cloud) Atelier: ${info.workspaceId}`;
    this.item.tooltip = `${info.workspaceUrl}\n${info.contextUrl}`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    this.command.dispose();
  }

  private async showMenu(): Promise<void> {
    const info = this.info;
    if (!info)
      return void vscode.window.showInformationMessage('Atelier: the workspace is still connecting.');
    const ssh = sshCommand(info);
    type Entry = vscode.QuickPickItem & { run: () => Thenable<unknown> };
    const entries: Entry[] = [
      {
        label: '$(home) Open Dashboard',
        detail: info.dashboardUrl,
        run: () => vscode.env.openExternal(vscode.Uri.parse(info.dashboardUrl)),
      },
      { label: '$(plug) Show Ports', run: () => vscode.commands.executeCommand('atelier.ports.focus') },
      {
        label: '$(terminal) Show Task Terminals',
        run: () => vscode.commands.executeCommand('atelier.tasks.showTerminals'),
      },
    ];
    if (ssh) {
      entries.push({
        label: '$(copy) Copy SSH Command',
        detail: ssh,
        run: async () => {
          await vscode.env.clipboard.writeText(ssh);
          vscode.window.setStatusBarMessage('Copied the SSH command', 3000);
        },
      });
    }
    const picked = await vscode.window.showQuickPick(entries, {
      placeHolder: `Atelier workspace ${info.workspaceId}`,
    });
    await picked?.run();
  }
}
