// Personal access tokens for the CLI and scripts: create (shown once), list, revoke.
import { type FormEvent, useState } from 'react';
import { type AccessToken, api } from '../api';
import { DeleteButton } from '../components/delete-button';
import { ErrorMessage } from '../components/error-message';
import { Field } from '../components/field';
import { NewToken } from '../components/new-token';
import { useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

const when = (iso: string | null, none: string) => (iso ? new Date(iso).toLocaleString() : none);

export function TokensPage() {
  useTitle('Access tokens');
  const { data: tokens, error: loadError, reload } = useLoaded(api.listTokens);
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const create = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const expiresInDays = days.trim() === '' ? undefined : Number(days);
    const result = await create.run(() =>
      api.createToken({ name: name.trim(), ...(expiresInDays === undefined ? {} : { expiresInDays }) }),
    );
    if (!result) return;
    setCreated({ name: name.trim(), token: result.token });
    setName('');
    setDays('');
    await reload();
  };

  return (
    <>
      <section className="card" aria-labelledby="tokens-title">
        <h1 id="tokens-title">Access tokens</h1>
        <p>
          An access token signs in the <code>atelier</code> CLI and scripts as you (
          <code>Authorization: Bearer &lt;token&gt;</code>). Revoke a token you no longer use.
        </p>
        <form className="row" onSubmit={submit} aria-busy={create.busy}>
          <Field
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="laptop"
            required
            maxLength={100}
            data-testid="token-name"
          />
          <Field
            label="Expires after (days, optional)"
            type="number"
            min={1}
            max={3650}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            placeholder="never"
          />
          <button type="submit" disabled={create.busy} data-testid="create-token">
            {create.busy ? 'Creating…' : 'Create token'}
          </button>
        </form>
        <ErrorMessage error={create.error} testId="token-error" />
        {created && <NewToken name={created.name} token={created.token} onDismiss={() => setCreated(null)} />}
      </section>
      <section className="card" aria-labelledby="token-list-title">
        <h2 id="token-list-title">Your tokens</h2>
        <ErrorMessage error={loadError} />
        {tokens === null ? (
          !loadError && <p role="status">Loading tokens…</p>
        ) : tokens.length === 0 ? (
          <p className="empty">No access tokens.</p>
        ) : (
          <table className="tokens" data-testid="token-list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <TokenRow key={t.id} token={t} onRevoked={reload} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function TokenRow({ token, onRevoked }: { token: AccessToken; onRevoked: () => Promise<void> }) {
  return (
    <tr>
      <td>{token.name}</td>
      <td>{when(token.createdAt, '')}</td>
      <td>{when(token.expiresAt, 'never')}</td>
      <td>{when(token.lastUsedAt, 'never')}</td>
      <td className="actions">
        <DeleteButton
          label={`Revoke token ${token.name}`}
          remove={() => api.deleteToken(token.id)}
          onDone={onRevoked}
        >
          Revoke
        </DeleteButton>
      </td>
    </tr>
  );
}
