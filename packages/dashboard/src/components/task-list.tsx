// The workspace's tasks with their terminal output as plain text: refreshed while the workspace
// runs, the output kept at the stop once it has stopped.
import {
  type Phase,
  plainTerminalText,
  type WorkspaceTaskDto,
  type WorkspaceTasksDto,
} from '@atelier/protocol';
import { useCallback, useEffect, useState } from 'react';
import { type ApiError, api, toApiError } from '../api';
import { usePoll } from '../live';
import { ErrorMessage } from './error-message';
import { useFollowScroll } from './follow-scroll';

const REFRESH_MS = 2000;

interface Loaded {
  tasks: WorkspaceTasksDto;
  outputs: string[];
}

export function TaskList({ workspaceId, phase }: { workspaceId: string; phase: Phase | undefined }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(async () => {
    try {
      const tasks = await api.workspaceTasks(workspaceId);
      const outputs = await Promise.all(
        tasks.tasks.map((t) => (t.state === 'pending' ? '' : api.taskOutput(workspaceId, t.index))),
      );
      setLoaded({ tasks, outputs });
      setError(null);
    } catch (e) {
      setError(toApiError(e));
    }
  }, [workspaceId]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: again on every phase change (tasks start once it runs, the saved output appears once it stopped)
  useEffect(() => {
    void load();
  }, [load, phase]);
  const live = loaded?.tasks.live === true || phase === 'running';
  usePoll(live, REFRESH_MS, () => void load());

  if (!loaded?.tasks.tasks.length && !error) return null;
  return (
    <section className="tasks" aria-labelledby="tasks-title" data-testid="tasks">
      <h2 id="tasks-title">Tasks</h2>
      <ErrorMessage error={error} />
      {loaded?.tasks.tasks.map((task) => (
        <TaskOutput key={task.index} task={task} output={loaded.outputs[task.index] ?? ''} />
      ))}
    </section>
  );
}

function stateText(task: WorkspaceTaskDto): string {
  switch (task.state) {
    case 'pending':
      return 'not started yet';
    case 'running':
      return 'running';
    case 'exited':
      return task.exitCode === null ? 'ended' : `exited with ${task.exitCode}`;
  }
}

function TaskOutput({ task, output }: { task: WorkspaceTaskDto; output: string }) {
  const text = plainTerminalText(output);
  const scroll = useFollowScroll<HTMLPreElement>(text);
  return (
    <article className="task" data-testid="task" data-task-index={task.index}>
      <h3>
        {task.name}{' '}
        <span className={`badge badge-${task.state === 'running' ? 'ok' : 'idle'}`}>{stateText(task)}</span>
      </h3>
      <pre ref={scroll.ref} className="task-output" data-testid="task-output" onScroll={scroll.onScroll}>
        {text || (task.state === 'pending' ? 'It starts once the workspace content is ready.' : 'No output.')}
      </pre>
    </article>
  );
}
