// A button that deletes something through the API, then tells the list to reload; a failure shows
// beside it.
import type { ReactNode } from 'react';
import { useAction } from '../use-action';
import { ErrorMessage } from './error-message';

export function DeleteButton({
  children,
  label,
  remove,
  onDone,
}: {
  children: ReactNode;
  /** what a screen reader says, e.g. "Delete NPM_TOKEN" */
  label: string;
  remove: () => Promise<unknown>;
  onDone: () => Promise<void> | void;
}) {
  const action = useAction();
  return (
    <>
      <button
        type="button"
        className="secondary"
        disabled={action.busy}
        aria-label={label}
        onClick={async () => {
          const done = await action.run(async () => {
            await remove();
            return true;
          });
          if (done) await onDone();
        }}
      >
        {children}
      </button>
      <ErrorMessage error={action.error} />
    </>
  );
}
