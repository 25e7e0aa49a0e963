// One window's connection to the workspace's supervisor: the streams it keeps open (tasks, ports,
// notifications), the heartbeats, the status bar, and the closing signal.
import type { IdeStatusDetail } from '@atelier/protocol';
import * as vscode from 'vscode';
import { Heartbeats } from './heartbeat.js';
import { IdeActions } from './ide-actions.js';
import { actionFor } from './notification-actions.js';
import { PortsView } from './ports-view.js';
import { Backoff, keepConnected, sleep } from './reconnect.js';
import { StatusMenu } from './status-menu.js';
import type { SupervisorApi } from './supervisor-api.js';
import { TaskTerminals } from './task-terminals.js';

/** How long the "IDE closed" heartbeat may take when the extension host stops. */
const CLOSED_SIGNAL_TIMEOUT_MS = 1000;
/** How often to look again while extensions are still being installed, and for how long. */
const EXTENSIONS_POLL_MS = 5000;
const EXTENSIONS_POLL_FOR_MS = 5 * 60_000;

export class Session implements vscode.Disposable {
  private readonly stop = new AbortController();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly actions: IdeActions;
  private readonly ports: PortsView;
  private readonly terminals: TaskTerminals;
  private readonly status = new StatusMenu();
  private heartbeats: Heartbeats | undefined;

  constructor(
    private readonly api: SupervisorApi,
    private readonly log: vscode.LogOutputChannel,
    /** the window's workspace state: remembers which instance already opened its context's file */
    private readonly state: vscode.Memento,
  ) {
    this.actions = new IdeActions(api, log);
    this.ports = new PortsView(this.actions);
    this.terminals = new TaskTerminals(api, log, () => this.activity());
    this.disposables.push(this.ports, this.terminals, this.status);
  }

  start(): void {
    this.disposables.push(
      vscode.commands.registerCommand('atelier.tasks.showTerminals', () => this.terminals.showAll()),
      ...this.watchActivity(),
    );
    this.background('workspace info', this.loadInfo());
    this.background('extension check', this.checkExtensions());
    this.observe(
      'task list',
      (s) => this.api.observeTasks(s),
      ({ tasks }) => this.terminals.update(tasks),
    );
    this.observe(
      'ports',
      (s) => this.api.observePorts(s),
      ({ ports }) => this.ports.update(ports),
      (problem) => this.ports.showProblem(problem),
    );
    this.observe(
      'notifications',
      (s) => this.api.notifications(s),
      (n) => this.background(`notification ${n.kind}`, this.actions.run(actionFor(n))),
    );
  }

  /** Stops the streams and tells the supervisor that this IDE window went away (best effort, short). */
  async close(): Promise<void> {
    this.dispose();
    try {
      await this.api.heartbeat({ source: 'ide', closed: true }, CLOSED_SIGNAL_TIMEOUT_MS);
    } catch (e) {
      // the supervisor notices a closed tab by itself too; a lost signal costs nothing more
      this.log.warn(`the closing heartbeat failed: ${errorText(e)}`);
    }
  }

  dispose(): void {
    this.stop.abort();
    this.heartbeats?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private activity(): void {
    this.heartbeats?.activity();
  }

  private watchActivity(): vscode.Disposable[] {
    const activity = () => this.activity();
    return [
      vscode.window.onDidChangeWindowState((state) => state.focused && activity()),
      vscode.window.onDidChangeActiveTextEditor(activity),
      vscode.window.onDidChangeTextEditorSelection(activity),
      vscode.window.onDidChangeTextEditorVisibleRanges(activity),
      vscode.window.onDidChangeActiveTerminal(activity),
      vscode.window.onDidChangeTerminalState(activity),
      // the Output panel's own lines (ours included) are no sign of a user
      vscode.workspace.onDidChangeTextDocument((e) => e.document.uri.scheme !== 'output' && activity()),
    ];
  }

  /**
   * Opens the file the context URL pointed at (`…/blob/main/src/a.ts`), once per instance: a
   * reloaded window keeps the editors the user has open instead.
   */
  private async openContextFile(path: string, instanceId: string): Promise<void> {
    const key = 'atelier.openedContextFile';
    if (this.state.get<string>(key) === instanceId) return;
    await this.state.update(key, instanceId);
    try {
      const uri = vscode.Uri.file(path);
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.type & vscode.FileType.Directory) {
        await vscode.commands.executeCommand('revealInExplorer', uri);
      } else {
        await vscode.window.showTextDocument(uri, { preview: false });
      }
    } catch (e) {
      this.log.warn(`the context's file ${path} cannot be opened: ${errorText(e)}`);
    }
  }

  private async loadInfo(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stop.signal.aborted) {
      try {
        const info = await this.api.info();
        this.status.set(info);
        this.heartbeats = new Heartbeats(info.heartbeatIntervalMs, () =>
          this.background('heartbeat', this.api.heartbeat({ source: 'ide' })),
        );
        // a window that opens focused is a user who just arrived
        if (vscode.window.state.focused) this.activity();
        this.log.info(`workspace ${info.workspaceId}, heartbeat every ${info.heartbeatIntervalMs} ms`);
        if (info.openFile) await this.openContextFile(info.openFile, info.instanceId);
        return;
      } catch (e) {
        const delay = backoff.next();
        this.log.warn(`reading the workspace info failed: ${errorText(e)}; retrying in ${delay} ms`);
        await sleep(delay, this.stop.signal);
      }
    }
  }

  /** Warns about the configuration's extensions that could not be installed (once their install ended). */
  private async checkExtensions(): Promise<void> {
    const until = Date.now() + EXTENSIONS_POLL_FOR_MS;
    let status: IdeStatusDetail | undefined;
    while (!this.stop.signal.aborted && Date.now() < until) {
      try {
        status = await this.api.ideStatus();
        // installed false without an error: the supervisor is still at it
        if (!status.extensions.some((x) => !x.installed && x.error === null)) break;
      } catch (e) {
        this.log.warn(`reading the IDE status failed: ${errorText(e)}`);
      }
      await sleep(EXTENSIONS_POLL_MS, this.stop.signal);
    }
    const failed = status?.extensions.filter((x) => !x.installed) ?? [];
    if (failed.length === 0 || this.stop.signal.aborted) return;
    const list = failed.map((x) => `${x.id} (${x.error ?? 'not installed yet'})`).join('; ');
    this.log.warn(`extensions not installed: ${list}`);
    const noun = failed.length === 1 ? 'extension' : 'extensions';
    void vscode.window.showWarningMessage(`Atelier could not install ${failed.length} ${noun}: ${list}`);
  }

  private observe<T>(
    name: string,
    stream: (signal: AbortSignal) => AsyncIterable<T>,
    onValue: (value: T) => void,
    onProblem?: (message: string) => void,
  ): void {
    const connect = async (signal: AbortSignal, connected: () => void) => {
      for await (const value of stream(signal)) {
        connected();
        onValue(value);
      }
    };
    const log = (message: string) => {
      this.log.warn(message);
      onProblem?.(message);
    };
    this.background(name, keepConnected({ name, connect, signal: this.stop.signal, log }));
  }

  /** Runs a promise whose failure only needs a log line (and never becomes an unhandled rejection). */
  private background(what: string, promise: Promise<unknown>): void {
    promise.catch((e: unknown) => this.log.error(`${what}: ${errorText(e)}`));
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
