// The "New workspace" form: a repository URL and an optional branch, tag or commit.
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { navigate } from '../router';
import { useAction } from '../use-action';
import { ErrorMessage } from './error-message';
import { Field } from './field';

export function NewWorkspaceForm() {
  const [contextUrl, setContextUrl] = useState('');
  const [ref, setRef] = useState('');
  const action = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const trimmedRef = ref.trim();
    const created = await action.run(() =>
      api.createWorkspace({ contextUrl: contextUrl.trim(), ...(trimmedRef ? { ref: trimmedRef } : {}) }),
    );
    if (created) navigate(`/start/${encodeURIComponent(created.id)}`);
  };

  return (
    <form
      className="card new-workspace"
      onSubmit={submit}
      aria-labelledby="new-title"
      aria-busy={action.busy}
    >
      <h2 id="new-title">New workspace</h2>
      <div className="row">
        <Field
          label="Repository URL"
          type="text"
          inputMode="url"
          value={contextUrl}
          onChange={(e) => setContextUrl(e.target.value)}
          placeholder="https://github.com/owner/repo"
          spellCheck={false}
          autoComplete="off"
          required
          data-testid="context-url"
        />
        <Field
          label="Branch, tag or commit (optional)"
          value={ref}
          onChange={(e) => setRef(e.target.value)}
          placeholder="default branch"
          spellCheck={false}
          autoComplete="off"
          data-testid="context-ref"
        />
        <button type="submit" disabled={action.busy} data-testid="create-workspace">
          {action.busy ? 'Creating…' : 'New workspace'}
        </button>
      </div>
      <ErrorMessage error={action.error} testId="create-error" />
    </form>
  );
}
