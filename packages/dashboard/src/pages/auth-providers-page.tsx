// Administrators' sign-in providers: the callback URL to register at a provider, the providers of
// the config file (read-only) and of the dashboard, and a form to add, change or delete those.
import type { AdminAuthProviderDto } from '@atelier/protocol';
import { useState } from 'react';
import { api } from '../api';
import { AuthProviderForm, typeLabel } from '../components/auth-provider-form';
import { CopyField } from '../components/copy-field';
import { ErrorMessage } from '../components/error-message';
import { useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

export function AuthProvidersPage() {
  useTitle('Sign-in providers');
  const { data, error: loadError, reload } = useLoaded(api.listAdminAuthProviders);
  const [editing, setEditing] = useState<AdminAuthProviderDto | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  /** a new form (empty, the secret gone from the page) after every save */
  const [round, setRound] = useState(0);

  const onSaved = async (provider: AdminAuthProviderDto, created: boolean) => {
    setSaved(
      created
        ? `${provider.id} was added: the sign-in page offers "Continue with ${provider.id}" now.`
        : `${provider.id} was changed.`,
    );
    setEditing(null);
    setRound((r) => r + 1);
    await reload();
  };

  return (
    <>
      <section className="card" aria-labelledby="providers-title">
        <h1 id="providers-title">Sign-in providers</h1>
        <p>
          Users sign in with these providers, and their workspaces get git credentials for the repositories
          there. To add one, register an OAuth application at the provider (GitHub: Settings → Developer
          settings → OAuth Apps) with this callback URL, then enter its client ID and secret below.
        </p>
        <ErrorMessage error={loadError} />
        {data && <CopyField label="the callback URL" value={data.callbackUrl} testId="callback-url" />}
      </section>
      <section className="card" aria-labelledby="provider-list-title">
        <h2 id="provider-list-title">Providers</h2>
        {data === null ? (
          !loadError && <p role="status">Loading providers…</p>
        ) : data.providers.length === 0 ? (
          <p className="empty">No sign-in providers yet: users sign in with a user name and password.</p>
        ) : (
          <table className="tokens" data-testid="provider-list">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Type</th>
                <th scope="col">Host</th>
                <th scope="col">Source</th>
                <th scope="col">Accounts</th>
                <th scope="col">Callback URL to register</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.providers.map((p) => (
                <ProviderRow
                  key={`${p.source}:${p.id}`}
                  provider={p}
                  onEdit={() => {
                    setSaved(null);
                    setEditing(p);
                  }}
                  onDeleted={async () => {
                    setSaved(`${p.id} was deleted.`);
                    if (editing?.id === p.id) setEditing(null);
                    await reload();
                  }}
                />
              ))}
            </tbody>
          </table>
        )}
        {saved && <p role="status">{saved}</p>}
      </section>
      <section className="card" aria-labelledby="provider-form-title">
        <h2 id="provider-form-title">{editing ? `Change ${editing.id}` : 'Add a provider'}</h2>
        <AuthProviderForm
          key={editing ? `edit-${editing.id}` : `new-${round}`}
          editing={editing}
          onSaved={onSaved}
          onCancel={() => setEditing(null)}
        />
      </section>
    </>
  );
}

function ProviderRow({
  provider: p,
  onEdit,
  onDeleted,
}: {
  provider: AdminAuthProviderDto;
  onEdit: () => void;
  onDeleted: () => Promise<void>;
}) {
  const remove = useAction();
  const del = async (force: boolean) => {
    const done = await remove.run(async () => {
      await api.deleteAuthProvider(p.id, force);
      return true;
    });
    if (done) await onDeleted();
  };
  return (
    <tr data-testid={`provider-${p.id}`}>
      <td>
        <strong>{p.id}</strong>
        {p.problem && <p className="field-error">{p.problem}</p>}
      </td>
      <td>{typeLabel(p.type)}</td>
      <td className="break">
        <code>
          {p.scheme}://{p.host}
        </code>
      </td>
      <td>
        <span className="badge badge-source" data-testid="provider-source">
          {p.source === 'config' ? 'config file' : 'dashboard'}
        </span>
      </td>
      <td>{p.linkedAccounts}</td>
      <td>
        <CopyField
          label={`the callback URL for ${p.id}`}
          value={p.callbackUrl}
          compact
          testId="provider-callback-url"
        />
      </td>
      <td className="actions">
        {p.source === 'config' ? (
          <span className="hint">change it in the config file</span>
        ) : (
          <>
            <button type="button" className="secondary" onClick={onEdit} aria-label={`Change ${p.id}`}>
              Change
            </button>
            <button
              type="button"
              className="secondary"
              disabled={remove.busy}
              onClick={() => void del(false)}
              aria-label={`Delete ${p.id}`}
            >
              Delete
            </button>
            {remove.error?.code === 'failed_precondition' && (
              <button type="button" className="danger" disabled={remove.busy} onClick={() => void del(true)}>
                Delete anyway
              </button>
            )}
            <ErrorMessage error={remove.error} />
          </>
        )}
      </td>
    </tr>
  );
}
