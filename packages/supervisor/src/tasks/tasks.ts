// The workspace's tasks, as Gitpod runs them: each in its own terminal, named after the task, once
// content is ready. A fresh start runs `before && init && command`; a start from a backup skips
// init (its results are in the backup): `before && command`.
import type { ContentSource, TaskConfig } from '@atelier/protocol';

/** The shell script of one task for a start whose content came from `source`. */
export function taskScript(task: TaskConfig, source: ContentSource): string {
  const stages =
    source === 'from-backup' ? [task.before, task.command] : [task.before, task.init, task.command];
  // each stage in braces on lines of its own, so multi-line stages and comments keep their meaning
  return stages
    .filter((s): s is string => s !== undefined && s.trim() !== '')
    .map((s) => `{\n${s}\n}`)
    .join(' && ');
}
