// The Ports view in the panel: a tree over the supervisor's port list, and its actions.
import type { PortDto } from '@atelier/protocol';
import * as vscode from 'vscode';
import type { IdeActions } from './ide-actions.js';
import { type PortItem, portItems } from './ports-model.js';

export const PORTS_VIEW_ID = 'atelier.ports';

class PortsTree implements vscode.TreeDataProvider<PortItem> {
  items: PortItem[] = [];
  private ports: readonly PortDto[] = [];
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  set(ports: readonly PortDto[]): void {
    this.ports = ports;
    this.items = portItems(ports);
    this.changed.fire(undefined);
  }

  /** One port changed (the answer to a visibility change), ahead of the next list from the stream. */
  patch(port: PortDto): void {
    this.set(this.ports.map((p) => (p.port === port.port ? port : p)));
  }

  getTreeItem(item: PortItem): vscode.TreeItem {
    const tree = new vscode.TreeItem(item.label, vscode.TreeItemCollapsibleState.None);
    tree.id = item.id;
    tree.description = item.description;
    tree.tooltip = item.tooltip;
    tree.contextValue = item.contextValue;
    tree.iconPath = new vscode.ThemeIcon(
      item.icon.id,
      item.icon.color ? new vscode.ThemeColor(item.icon.color) : undefined,
    );
    tree.accessibilityInformation = { label: `port ${item.port}, ${item.description}, ${item.url}` };
    return tree;
  }

  getChildren(element?: PortItem): PortItem[] {
    return element ? [] : this.items;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export class PortsView implements vscode.Disposable {
  private readonly tree = new PortsTree();
  private readonly view: vscode.TreeView<PortItem>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly actions: IdeActions) {
    this.view = vscode.window.createTreeView(PORTS_VIEW_ID, { treeDataProvider: this.tree });
    const command = (id: string, run: (item: PortItem) => Promise<unknown>) =>
      vscode.commands.registerCommand(id, async (item?: PortItem) => {
        const target = item ?? (await this.pick());
        if (target) await run(target);
      });
    this.disposables.push(
      this.view,
      this.tree,
      command('atelier.ports.open', (p) => actions.openExternal(p.url)),
      command('atelier.ports.preview', (p) => actions.preview(p.url)),
      command('atelier.ports.makePublic', (p) => this.setVisibility(p, 'public')),
      command('atelier.ports.makePrivate', (p) => this.setVisibility(p, 'private')),
      command('atelier.ports.copyUrl', async (p) => {
        await vscode.env.clipboard.writeText(p.url);
        vscode.window.setStatusBarMessage(`Copied ${p.url}`, 3000);
      }),
    );
  }

  /** A new port list from the supervisor. */
  update(ports: readonly PortDto[]): void {
    this.tree.set(ports);
    this.view.message = undefined;
  }

  /** Shown above the list while the supervisor cannot be reached. */
  showProblem(message: string): void {
    this.view.message = message;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private async setVisibility(item: PortItem, visibility: 'public' | 'private'): Promise<void> {
    const updated = await this.actions.setVisibility(item.port, visibility);
    if (updated) this.tree.patch(updated);
  }

  private async pick(): Promise<PortItem | undefined> {
    const picked = await vscode.window.showQuickPick(
      this.tree.items.map((item) => ({
        label: item.label,
        description: item.description,
        detail: item.url,
        item,
      })),
      { placeHolder: 'Which port?' },
    );
    return picked?.item;
  }
}
