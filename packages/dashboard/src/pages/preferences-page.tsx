// The user's preferences: which IDE a workspace opens in, and how long a workspace may idle.
import type { IdeChoice, UserPreferences } from '@atelier/protocol';
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api';
import { ErrorMessage } from '../components/error-message';
import { useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

const IDES: { id: IdeChoice; name: string; hint: string }[] = [
  {
    id: 'code',
    name: 'VS Code in the browser',
    hint: 'the tasks as terminals, a Ports view, nothing to install',
  },
  { id: 'terminal', name: 'Terminal', hint: 'a terminal in the browser, always available' },
  {
    id: 'vscode-desktop',
    name: 'VS Code Desktop',
    hint: 'your own VS Code with the Remote-SSH extension, through the SSH gateway (add an SSH key)',
  },
  {
    id: 'jetbrains',
    name: 'JetBrains Gateway',
    hint: 'IntelliJ, GoLand, PyCharm… over SSH (add an SSH key)',
  },
];

export function PreferencesPage() {
  useTitle('Preferences');
  const { data, error: loadError, reload } = useLoaded(api.getPreferences);
  const [ide, setIde] = useState<IdeChoice | ''>('');
  const [timeout, setTimeoutText] = useState('');
  const [saved, setSaved] = useState(false);
  const save = useAction();
  useEffect(() => {
    if (!data) return;
    setIde(data.preferences.ide ?? '');
    setTimeoutText(data.preferences.timeout ?? '');
  }, [data]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const body: UserPreferences = {
      ...(ide ? { ide } : {}),
      ...(timeout.trim() ? { timeout: timeout.trim() } : {}),
    };
    if (await save.run(() => api.setPreferences(body))) {
      setSaved(true);
      await reload();
    }
  };

  return (
    <section className="card" aria-labelledby="preferences-title">
      <h1 id="preferences-title">Preferences</h1>
      <ErrorMessage error={loadError} />
      {data && (
        <form onSubmit={submit} aria-busy={save.busy}>
          <fieldset>
            <legend>Open workspaces in</legend>
            {IDES.map((choice) => (
              <label key={choice.id} className="choice">
                <input
                  type="radio"
                  name="ide"
                  value={choice.id}
                  checked={(ide || data.defaults.ide) === choice.id}
                  onChange={() => setIde(choice.id)}
                  data-testid={`ide-${choice.id}`}
                />{' '}
                <strong>{choice.name}</strong>
                {data.defaults.ide === choice.id && ' (the default)'}{' '}
                <span className="hint">{choice.hint}</span>
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor="default-timeout">Stop my workspaces after this long without activity</label>
            <input
              id="default-timeout"
              value={timeout}
              onChange={(e) => setTimeoutText(e.target.value)}
              placeholder={data.defaults.timeout}
              pattern="^(\d+(ms|s|m|h))+$"
              disabled={!data.userTimeoutsAllowed}
              data-testid="default-timeout"
            />
            <span className="hint">
              {data.userTimeoutsAllowed
                ? `e.g. 30m, 3h — at most ${data.maxTimeout}; empty: the installation's ${data.defaults.timeout}. Closing the IDE's tab stops a workspace sooner.`
                : `The administrator fixed it at ${data.defaults.timeout}.`}
            </span>
          </div>
          <button type="submit" disabled={save.busy} data-testid="save-preferences">
            {save.busy ? 'Saving…' : 'Save'}
          </button>
          <ErrorMessage error={save.error} />
          {saved && <p role="status">Saved. Workspaces started from now on use these.</p>}
        </form>
      )}
      {!data && !loadError && <p role="status">Loading…</p>}
    </section>
  );
}
