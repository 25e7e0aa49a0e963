// Carries out what a notification or a Ports view action asks for, with the VS Code API: browser tab,
// Simple Browser preview, editor, visibility change.
import type { PortDto } from '@atelier/protocol';
import * as vscode from 'vscode';
import {
  type ChoiceAction,
  choiceAction,
  type IdeAction,
  PORT_CHOICES,
  type PortChoice,
} from './notification-actions.js';
import { type SupervisorApi, userMessage } from './supervisor-api.js';

export class IdeActions {
  constructor(
    private readonly api: SupervisorApi,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async run(action: ChoiceAction): Promise<void> {
    switch (action.kind) {
      case 'open-external':
        return this.openExternal(action.url);
      case 'preview':
        return this.preview(action.url);
      case 'open-file':
        return this.openFile(action.path);
      case 'make-public':
        await this.setVisibility(action.port, 'public');
        return;
      case 'ask':
        return this.ask(action);
    }
  }

  async openExternal(url: string): Promise<void> {
    const opened = await vscode.env.openExternal(vscode.Uri.parse(url));
    if (!opened) this.log.warn(`the browser did not open ${url} (a pop-up blocker?)`);
  }

  /** VS Code's Simple Browser; a browser tab when that extension is not there (or fails). */
  async preview(url: string): Promise<void> {
    try {
      await vscode.commands.executeCommand('simpleBrowser.show', url);
    } catch (e) {
      this.log.warn(
        `Simple Browser could not show ${url} (${userMessage(e)}); opening a browser tab instead`,
      );
      await this.openExternal(url);
    }
  }

  async openFile(path: string): Promise<void> {
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
      await vscode.window.showTextDocument(document, { preview: false });
    } catch (e) {
      void vscode.window.showErrorMessage(`Cannot open ${path}: ${userMessage(e)}`);
    }
  }

  /** Changes a port's visibility; a refusal is shown with the supervisor's reason. Resolves to the port, or undefined. */
  async setVisibility(port: number, visibility: 'public' | 'private'): Promise<PortDto | undefined> {
    try {
      const updated = await this.api.setPortVisibility(port, visibility);
      this.log.info(`port ${port} is now ${visibility}`);
      return updated;
    } catch (e) {
      this.log.error(
        `making port ${port} ${visibility} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      void vscode.window.showErrorMessage(`Cannot make port ${port} ${visibility}: ${userMessage(e)}`);
      return undefined;
    }
  }

  private async ask(action: Extract<IdeAction, { kind: 'ask' }>): Promise<void> {
    const choice = await vscode.window.showInformationMessage<PortChoice>(action.message, ...action.choices);
    if (choice && PORT_CHOICES.includes(choice))
      await this.run(choiceAction(choice, action.port, action.url));
  }
}
