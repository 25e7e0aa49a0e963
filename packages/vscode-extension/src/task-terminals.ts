// The workspace's tasks as VS Code terminals, each attached to the task's terminal in the supervisor:
// the same process and output (the supervisor replays the scrollback), never a second run.
import type { TaskStatus } from '@atelier/protocol';
import * as vscode from 'vscode';
import type { SupervisorApi } from './supervisor-api.js';
import { type TaskTerminalPlan, terminalsToCreate } from './task-plan.js';
import { TerminalConnection } from './terminal-connection.js';

/** How long "[task exited]" stays before the terminal closes. */
const CLOSE_AFTER_EXIT_MS = 1500;

class TaskPseudoterminal implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<void>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;
  private readonly connection: TerminalConnection;

  constructor(
    url: string,
    log: vscode.LogOutputChannel,
    private readonly onInput: () => void,
  ) {
    this.connection = new TerminalConnection(url, {
      output: (text) => this.written.fire(text),
      connected: () => log.info(`attached to ${url}`),
      log: (message) => log.warn(message),
      exited: (code) => {
        const how = code === undefined || code === 0 ? '' : ` exit code ${code}`;
        this.written.fire(`\r\n\x1b[2m[task exited]${how}\x1b[0m\r\n`);
        setTimeout(() => this.closed.fire(), CLOSE_AFTER_EXIT_MS);
      },
    });
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.connection.start(dimensions && { columns: dimensions.columns, rows: dimensions.rows });
  }

  handleInput(data: string): void {
    this.onInput();
    this.connection.input(data);
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.connection.resize({ columns: dimensions.columns, rows: dimensions.rows });
  }

  close(): void {
    this.connection.stop();
    this.written.dispose();
    this.closed.dispose();
  }
}

export class TaskTerminals implements vscode.Disposable {
  private readonly terminals = new Map<string, vscode.Terminal>();
  /** aliases whose terminal closed (the user closed it, or the task ended): not re-created on the next update */
  private readonly dismissed = new Set<string>();
  private tasks: readonly TaskStatus[] = [];
  private shownOne = false;
  private readonly listener: vscode.Disposable;

  constructor(
    private readonly api: SupervisorApi,
    private readonly log: vscode.LogOutputChannel,
    /** user input in a task terminal counts as activity */
    private readonly onInput: () => void,
  ) {
    this.listener = vscode.window.onDidCloseTerminal((terminal) => {
      for (const [alias, t] of this.terminals) {
        if (t !== terminal) continue;
        this.terminals.delete(alias);
        this.dismissed.add(alias);
      }
    });
  }

  /** A new task list from the supervisor: terminals for tasks that started. */
  update(tasks: readonly TaskStatus[]): void {
    this.tasks = tasks;
    const known = (alias: string, name: string) =>
      this.terminals.has(alias) || this.dismissed.has(alias) || this.adopt(alias, name);
    for (const plan of terminalsToCreate(tasks, known)) this.create(plan);
  }

  /** Brings back the terminals of running tasks that the user closed, and shows the first. */
  showAll(): void {
    this.dismissed.clear();
    this.update(this.tasks);
    const first = this.terminals.values().next();
    if (first.done) void vscode.window.showInformationMessage('No task is running.');
    else first.value.show();
  }

  dispose(): void {
    this.listener.dispose();
    for (const terminal of this.terminals.values()) terminal.dispose();
    this.terminals.clear();
  }

  /**
   * A terminal of this name that an extension created is there already (this extension activated
   * again in the same window): keep it rather than show the task twice.
   */
  private adopt(alias: string, name: string): boolean {
    const existing = vscode.window.terminals.find((t) => t.name === name && 'pty' in t.creationOptions);
    if (existing) this.terminals.set(alias, existing);
    return existing !== undefined;
  }

  private create(plan: TaskTerminalPlan): void {
    const url = this.api.terminalAttachUrl(plan.alias);
    const pty = new TaskPseudoterminal(url, this.log, this.onInput);
    const terminal = vscode.window.createTerminal({
      name: plan.name,
      pty,
      iconPath: new vscode.ThemeIcon('tools'),
    });
    this.terminals.set(plan.alias, terminal);
    this.log.info(`task ${plan.index} (${plan.name}): terminal for ${plan.alias}`);
    if (!this.shownOne) terminal.show(true);
    this.shownOne = true;
  }
}
