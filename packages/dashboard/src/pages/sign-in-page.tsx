// Sign in with a provider (GitHub, GitLab, … as configured) or with user name and password; the
// app then returns to the page that asked for it.
import type { UserDto } from '@atelier/protocol';
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { ErrorMessage } from '../components/error-message';
import { Field } from '../components/field';
import { currentHref, useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

export function SignInPage({
  onSignedIn,
  sessionEnded,
}: {
  onSignedIn: (user: UserDto) => void;
  sessionEnded: boolean;
}) {
  useTitle('Sign in');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const { data: providers } = useLoaded(api.authProviders);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const user = await action.run(() => api.login({ name: name.trim(), password }));
    if (user) onSignedIn(user);
  };

  return (
    <section className="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {sessionEnded && (
        <p className="notice" role="status">
          Your session has ended. Sign in again to continue where you were.
        </p>
      )}
      {providers && providers.length > 0 && (
        <div className="providers">
          {providers.map((p) => (
            <a
              key={p.id}
              className="button"
              href={`${p.loginUrl}?returnTo=${encodeURIComponent(currentHref())}`}
              data-testid={`sign-in-${p.id}`}
            >
              Continue with {p.id}
            </a>
          ))}
        </div>
      )}
      <form onSubmit={submit} aria-busy={action.busy}>
        <Field
          label="User name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="username"
          required
          autoFocus
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
          required
        />
        <ErrorMessage error={action.error} testId="sign-in-error" />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="hint">Accounts are created by an administrator.</p>
    </section>
  );
}
