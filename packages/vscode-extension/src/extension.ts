// Entry point of the Atelier VS Code extension: connects the window to the workspace's supervisor
// (ATELIER_SUPERVISOR_API) for task terminals, the Ports view, notifications and heartbeats.
import { WORKSPACE_API_ENV } from '@atelier/protocol';
import * as vscode from 'vscode';
import { Session } from './session.js';
import { SupervisorApi } from './supervisor-api.js';

let session: Session | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Atelier', { log: true });
  context.subscriptions.push(log);
  const base = process.env[WORKSPACE_API_ENV];
  if (!base) {
    log.warn(
      `${WORKSPACE_API_ENV} is not set: this is not an Atelier workspace, so the extension stays idle`,
    );
    return;
  }
  log.info(`supervisor API at ${base}`);
  session = new Session(new SupervisorApi(base, (message) => log.warn(message)), log, context.workspaceState);
  session.start();
}

export async function deactivate(): Promise<void> {
  const closing = session;
  session = undefined;
  await closing?.close();
}
