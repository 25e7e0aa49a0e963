// The user's environment variables for workspaces: set (create or replace, by name and repository
// pattern), list without values (they are write-only), delete.
import type { UserEnvVarDto } from '@atelier/protocol';
import { type FormEvent, useRef, useState } from 'react';
import { api } from '../api';
import { DeleteButton } from '../components/delete-button';
import { ErrorMessage } from '../components/error-message';
import { Field } from '../components/field';
import { useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

export function VariablesPage() {
  useTitle('Variables');
  const { data: vars, error: loadError, reload } = useLoaded(api.listEnvVars);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [pattern, setPattern] = useState('*/*');
  const [saved, setSaved] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const save = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const result = await save.run(() =>
      api.putEnvVar({ name: name.trim(), value, repositoryPattern: pattern }),
    );
    if (!result) return;
    setSaved(
      `${result.name} saved for ${result.repositoryPattern}; workspaces get it from their next start.`,
    );
    setName('');
    setValue('');
    await reload();
  };

  /** Fills the form to replace a variable's value: only the value is asked for. */
  const edit = (v: UserEnvVarDto) => {
    setName(v.name);
    setPattern(v.repositoryPattern);
    setValue('');
    setSaved(null);
    const input = form.current?.elements.namedItem('value');
    if (input instanceof HTMLInputElement) input.focus();
  };

  return (
    <>
      <section className="card" aria-labelledby="vars-title">
        <h1 id="vars-title">Variables</h1>
        <p>
          Environment variables for your workspaces, such as tokens for package registries. A variable applies
          to the repositories its pattern matches: <code>owner/repo</code>, <code>owner/*</code>, or{' '}
          <code>*/*</code> for all; the most specific pattern wins. Values are stored encrypted and never
          shown again. A repository's <code>.gitpod.yml</code> <code>env</code> gives way to yours; a context
          URL's <code>VAR=value/</code> prefix overrides them.
        </p>
        <form ref={form} className="row" onSubmit={submit} aria-busy={save.busy}>
          <Field
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="NPM_TOKEN"
            required
            maxLength={255}
            autoComplete="off"
            spellCheck={false}
            data-testid="var-name"
          />
          <Field
            label="Value"
            name="value"
            type="password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
            autoComplete="new-password"
            data-testid="var-value"
          />
          <Field
            label="Repositories"
            value={pattern}
            onChange={(e) => setPattern(e.target.value)}
            required
            maxLength={255}
            spellCheck={false}
            hint="owner/repo; * for any one part"
            data-testid="var-pattern"
          />
          <button type="submit" disabled={save.busy} data-testid="save-var">
            {save.busy ? 'Saving…' : 'Save variable'}
          </button>
        </form>
        <ErrorMessage error={save.error} testId="var-error" />
        {saved && <p role="status">{saved}</p>}
      </section>
      <section className="card" aria-labelledby="var-list-title">
        <h2 id="var-list-title">Your variables</h2>
        <ErrorMessage error={loadError} />
        {vars === null ? (
          !loadError && <p role="status">Loading variables…</p>
        ) : vars.length === 0 ? (
          <p className="empty">No variables.</p>
        ) : (
          <table className="tokens" data-testid="var-list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Repositories</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {vars.map((v) => (
                <VariableRow key={v.id} envVar={v} onEdit={() => edit(v)} onDeleted={reload} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function VariableRow({
  envVar,
  onEdit,
  onDeleted,
}: {
  envVar: UserEnvVarDto;
  onEdit: () => void;
  onDeleted: () => Promise<void>;
}) {
  const label = `${envVar.name} (${envVar.repositoryPattern})`;
  return (
    <tr>
      <td>
        <code>{envVar.name}</code>
      </td>
      <td>
        <code>{envVar.repositoryPattern}</code>
      </td>
      <td>{new Date(envVar.updatedAt).toLocaleString()}</td>
      <td className="actions">
        <button
          type="button"
          className="secondary"
          aria-label={`Change the value of ${label}`}
          onClick={onEdit}
        >
          Change value
        </button>{' '}
        <DeleteButton label={`Delete ${label}`} remove={() => api.deleteEnvVar(envVar.id)} onDone={onDeleted}>
          Delete
        </DeleteButton>
      </td>
    </tr>
  );
}
