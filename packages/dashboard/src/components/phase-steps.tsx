// The start progress: preparing → (building) → pending → creating → initializing → running.
import { type InstanceDto, type Phase, phaseRank } from '@atelier/protocol';

const STEPS: readonly Phase[] = ['preparing', 'building', 'pending', 'creating', 'initializing', 'running'];

type StepState = 'done' | 'current' | 'failed' | 'todo';

function stateOf(step: Phase, instance: InstanceDto): StepState {
  const current = instance.phase;
  const inProgress = phaseRank(current) <= phaseRank('running');
  if (step === current) return instance.failed ? 'failed' : step === 'running' ? 'done' : 'current';
  if (instance.phaseTimes[step] !== undefined) return 'done';
  return inProgress && phaseRank(step) < phaseRank(current) ? 'done' : 'todo';
}

const MARK: Record<StepState, string> = { done: '✓', current: '…', failed: '✕', todo: '' };

export function PhaseSteps({ instance }: { instance: InstanceDto }) {
  // "building" only appears for workspaces whose image is built.
  const steps = STEPS.filter((s) => s !== 'building' || instance.phase === s || instance.phaseTimes[s]);
  return (
    <ol className="steps" aria-label="Start progress">
      {steps.map((step) => {
        const state = stateOf(step, instance);
        const at = instance.phaseTimes[step];
        return (
          <li
            key={step}
            className={`step step-${state}`}
            aria-current={state === 'current' ? 'step' : undefined}
          >
            <span className="mark" aria-hidden="true">
              {MARK[state]}
            </span>
            <span className="name">{step}</span>
            <span className="visually-hidden">({state})</span>
            {at && <time dateTime={at}>{new Date(at).toLocaleTimeString()}</time>}
          </li>
        );
      })}
    </ol>
  );
}
