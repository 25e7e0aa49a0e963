// First start: the one-time setup code from the console creates the first administrator.
import type { UserDto } from '@atelier/protocol';
import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api';
import { ErrorMessage } from '../components/error-message';
import { Field } from '../components/field';
import { useTitle } from '../router';
import { useAction } from '../use-action';

export function SetupPage({ onDone }: { onDone: (user: UserDto) => void }) {
  useTitle('Set up');
  const [setupCode, setSetupCode] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const action = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const user = await action.run(async () => {
      if (password !== repeat) {
        throw new ApiError('invalid_argument', 'the two passwords differ: type the same password twice', 0);
      }
      return api.setup({ setupCode: setupCode.trim(), name: name.trim(), password });
    });
    if (user) onDone(user);
  };

  return (
    <section className="card narrow" aria-labelledby="setup-title">
      <h1 id="setup-title">Welcome to Atelier</h1>
      <p>
        Create the first account; it will be the administrator. The one-time <strong>setup code</strong> was
        printed in the console where <code>atelier up</code> runs (it stays the same until this account is
        created).
      </p>
      <form onSubmit={submit} aria-busy={action.busy}>
        <Field
          label="Setup code"
          value={setupCode}
          onChange={(e) => setSetupCode(e.target.value)}
          placeholder="XXXX-XXXX-XXXX"
          autoComplete="one-time-code"
          spellCheck={false}
          required
          autoFocus
        />
        <Field
          label="User name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="username"
          hint="1–39 letters, digits, “.”, “_” or “-”."
          required
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
          hint="At least 8 characters."
          required
        />
        <Field
          label="Repeat the password"
          type="password"
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          autoComplete="new-password"
          required
        />
        <ErrorMessage error={action.error} testId="setup-error" />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </section>
  );
}
