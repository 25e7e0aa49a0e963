// The workspace's tasks, as Gitpod runs them: each in its own terminal, named after the task, once
// content is ready. A fresh start runs `before && init && command`; a start from a backup skips
// init (its results are in the backup): `before && command`; a headless start (a prebuild) runs
// `before && init && prebuild` and its terminal ends with it, so its exit code is the task's.
import { AppError, type ContentSource, type TaskConfig, type TaskStatus } from '@atelier/protocol';
import type { Logger } from '../log.js';
import type { Terminal } from '../terminals/terminal.js';
import type { Terminals } from '../terminals/terminals.js';

/** The shell script of one task for a start whose content came from `source`. */
export function taskScript(task: TaskConfig, source: ContentSource, headless = false): string {
  const stages = headless
    ? [task.before, task.init, task.prebuild]
    : source === 'from-backup'
      ? [task.before, task.command]
      : [task.before, task.init, task.command];
  // each stage in braces on lines of its own, so multi-line stages and comments keep their meaning
  return stages
    .filter((s): s is string => s !== undefined && s.trim() !== '')
    .map((s) => `{\n${s}\n}`)
    .join(' && ');
}

/**
 * The tasks of this start and the terminals they run in. A task keeps its terminal after the
 * terminal exits, so that its output stays readable until the supervisor stops.
 */
export class Tasks {
  private readonly running: (Terminal | undefined)[];

  constructor(
    private readonly configs: readonly TaskConfig[],
    private readonly terminals: Terminals,
    private readonly logger: Logger,
    private readonly headless = false,
  ) {
    this.running = configs.map(() => undefined);
  }

  /** Opens one terminal per task (once; a second call does nothing). */
  start(source: ContentSource): void {
    this.configs.forEach((task, index) => {
      if (this.running[index]) return;
      const info = this.terminals.open(
        { cols: 120, rows: 30 },
        {
          title: task.name,
          script: taskScript(task, source, this.headless),
          env: task.env,
          // a person works on in a task's terminal; a headless task's terminal ends with it
          keepShell: !this.headless,
        },
      );
      this.running[index] = this.terminals.get(info.alias);
      this.logger.info({ task: task.name, index, alias: info.alias, source }, 'task started');
    });
  }

  list(): TaskStatus[] {
    return this.configs.map((task, index) => {
      const terminal = this.running[index];
      const exitCode = terminal?.exitCode;
      return {
        index,
        name: task.name,
        alias: terminal?.info.alias ?? null,
        state: !terminal ? 'pending' : exitCode === undefined ? 'running' : 'exited',
        exitCode: exitCode ?? null,
      };
    });
  }

  /** The task's output so far (its terminal's scrollback); empty while it is pending. */
  output(index: number): string {
    this.check(index);
    return this.running[index]?.scrollbackText() ?? '';
  }

  /** Hangs up the task's terminal (its processes get SIGHUP, then SIGKILL); resolves once it exited. */
  async stop(index: number): Promise<void> {
    this.check(index);
    const terminal = this.running[index];
    if (!terminal) {
      throw new AppError('failed_precondition', `task ${index} has not started yet: nothing to stop`);
    }
    if (terminal.exitCode !== undefined) return;
    this.logger.info({ index, alias: terminal.info.alias }, 'task stopped on request');
    await terminal.hangUp();
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.configs.length) {
      throw new AppError(
        'not_found',
        `no task ${index}: this workspace has ${this.configs.length} task(s), numbered from 0`,
      );
    }
  }
}
