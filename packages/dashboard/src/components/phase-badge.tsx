// A coloured badge for a workspace's phase (or "failed" when its instance failed).
import type { Phase, WorkspaceDto } from '@atelier/protocol';

export type Tone = 'ok' | 'busy' | 'idle' | 'warn' | 'bad';

export function toneOf(phase: Phase): Tone {
  switch (phase) {
    case 'running':
      return 'ok';
    case 'preparing':
    case 'building':
    case 'pending':
    case 'creating':
    case 'initializing':
      return 'busy';
    case 'stopping':
    case 'interrupted':
    case 'unknown':
      return 'warn';
    case 'stopped':
      return 'idle';
  }
}

/** The phase to show: a workspace without an instance is stopped. */
export const phaseOf = (w: WorkspaceDto): Phase => w.instance?.phase ?? 'stopped';

export function PhaseBadge({ workspace }: { workspace: WorkspaceDto }) {
  const phase = phaseOf(workspace);
  const failed = workspace.instance?.failed != null;
  return (
    <span className={`badge badge-${failed ? 'bad' : toneOf(phase)}`} data-testid="phase-badge">
      {failed ? `failed · ${phase}` : phase}
    </span>
  );
}
