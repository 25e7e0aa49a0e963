// The workspace's terminals: login shells of the workspace user, addressed by a short alias.
import { existsSync } from 'node:fs';
import type { Logger } from '../log.js';
import { Terminal, type TerminalInfo } from './terminal.js';

export interface TerminalsOptions {
  shell: string;
  env: Record<string, string>;
  /** where a new shell starts (the checkout once it exists) */
  cwd: () => string;
  logger: Logger;
}

export class Terminals {
  private readonly byAlias = new Map<string, Terminal>();
  private counter = 0;

  constructor(private readonly opts: TerminalsOptions) {}

  /**
   * A login shell; with `script`, the shell runs it first and then stays for the user (a task's
   * terminal, as in Gitpod).
   */
  open(
    size: { cols: number; rows: number },
    task:
      | { title: string; script: string; env: Record<string, string>; keepShell?: boolean }
      | undefined = undefined,
  ): TerminalInfo {
    const alias = `t${++this.counter}`;
    const cwd = this.opts.cwd();
    const shell = existsSync(this.opts.shell) ? this.opts.shell : '/bin/sh';
    const terminal = new Terminal({
      alias,
      ...(task ? { title: task.title } : {}),
      shell,
      args: task
        ? ['-l', '-c', task.keepShell === false ? task.script : `${task.script}\nexec ${shell} -l`]
        : ['-l'],
      cwd,
      env: task ? { ...this.opts.env, ...task.env } : this.opts.env,
      cols: size.cols,
      rows: size.rows,
      logger: this.opts.logger,
      onExit: (t) => this.byAlias.delete(t.info.alias),
    });
    this.byAlias.set(alias, terminal);
    this.opts.logger.info({ alias, pid: terminal.info.pid, cwd }, 'terminal opened');
    return terminal.info;
  }

  get(alias: string): Terminal | undefined {
    return this.byAlias.get(alias);
  }

  list(): TerminalInfo[] {
    return [...this.byAlias.values()].map((t) => t.info);
  }

  /** Hangs up every shell; resolves once all have exited (killed after `graceMs` if need be). */
  async hangUpAll(graceMs?: number): Promise<void> {
    await Promise.all([...this.byAlias.values()].map((t) => t.hangUp(graceMs)));
  }
}
