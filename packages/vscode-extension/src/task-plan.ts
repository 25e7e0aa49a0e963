// Which task terminals the IDE should show: one per running task that has a terminal, named after the task.
import type { TaskStatus } from '@atelier/protocol';

export interface TaskTerminalPlan {
  alias: string;
  /** the task's name; tasks that share a name get their position added, so each terminal can be told apart */
  name: string;
  index: number;
}

/** The terminals to create now: running tasks with a terminal alias that `known` does not have yet. */
export function terminalsToCreate(
  tasks: readonly TaskStatus[],
  known: (alias: string, name: string) => boolean,
): TaskTerminalPlan[] {
  const plans: TaskTerminalPlan[] = [];
  for (const task of tasks) {
    if (task.state !== 'running' || task.alias === null) continue;
    const name = terminalName(task, tasks);
    if (!known(task.alias, name)) plans.push({ alias: task.alias, name, index: task.index });
  }
  return plans;
}

export function terminalName(task: TaskStatus, tasks: readonly TaskStatus[]): string {
  const base = task.name.trim() || `Task ${task.index + 1}`;
  const shared = tasks.some((t) => t !== task && (t.name.trim() || `Task ${t.index + 1}`) === base);
  return shared ? `${base} (${task.index + 1})` : base;
}
