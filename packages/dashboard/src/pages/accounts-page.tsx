// The user's accounts at the sign-in providers: one row per provider with the account linked there
// and what it grants; link one, grant an SCM access to private repositories, unlink one.
import type { LinkedAccountDto } from '@atelier/protocol';
import { api } from '../api';
import { ErrorMessage } from '../components/error-message';
import { useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

/** The provider's page sends the browser back here after linking or granting. */
const back = (url: string) => `${url}&returnTo=${encodeURIComponent('/accounts')}`;

function grants(account: LinkedAccountDto): string {
  if (!account.linked) return '—';
  if (account.grantUrl === null) return 'Sign-in';
  return account.linked.privateRepositories
    ? 'Sign-in, public and private repositories'
    : 'Sign-in and public repositories';
}

export function AccountsPage() {
  useTitle('Linked accounts');
  const { data: accounts, error: loadError, reload } = useLoaded(api.listAccounts);
  return (
    <section className="card" aria-labelledby="accounts-title">
      <h1 id="accounts-title">Linked accounts</h1>
      <p>
        You can sign in with any account linked here. With an account at an SCM, Atelier reads your
        repositories as you, and git in your workspaces pushes with it. Private repositories need your
        permission: grant it once per provider.
      </p>
      <ErrorMessage error={loadError} />
      {accounts === null ? (
        !loadError && <p role="status">Loading accounts…</p>
      ) : accounts.length === 0 ? (
        <p className="empty">
          No sign-in providers are configured here: an administrator adds them under Sign-in providers.
        </p>
      ) : (
        <table className="tokens" data-testid="account-list">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Your account</th>
              <th scope="col">Grants</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <AccountRow key={a.providerId} account={a} onChanged={reload} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AccountRow({ account, onChanged }: { account: LinkedAccountDto; onChanged: () => Promise<void> }) {
  const unlink = useAction();
  const { providerId, linked } = account;
  return (
    <>
      <tr data-testid={`account-${providerId}`}>
        <td>
          {providerId}{' '}
          <span className="hint">
            {account.type} · {account.host}
          </span>
        </td>
        <td>
          {linked ? (
            <>
              <strong data-testid="account-login">{linked.login}</strong>
              {linked.email && <span className="hint"> {linked.email}</span>}
              <br />
              <span className="hint">
                linked {new Date(linked.linkedAt).toLocaleDateString()}, last sign-in{' '}
                {new Date(linked.lastSigninAt).toLocaleString()}
              </span>
            </>
          ) : (
            <span className="empty">Not linked</span>
          )}
        </td>
        <td>
          <span data-testid="account-grants">{grants(account)}</span>
          {linked && linked.scopes.length > 0 && (
            <>
              <br />
              <span className="hint">
                scopes: <code data-testid="account-scopes">{linked.scopes.join(' ')}</code>
              </span>
            </>
          )}
        </td>
        <td className="actions">
          {!linked && (
            <a className="button" href={back(account.linkUrl)} data-testid="link-account">
              {`Link ${providerId}`}
            </a>
          )}
          {linked && account.grantUrl !== null && !linked.privateRepositories && (
            <a className="button" href={back(account.grantUrl)} data-testid="grant-private-repositories">
              Grant access to private repositories
            </a>
          )}
          {linked && (
            <button
              type="button"
              className="secondary"
              disabled={unlink.busy}
              aria-label={`Unlink ${providerId}`}
              data-testid="unlink-account"
              onClick={async () => {
                const done = await unlink.run(async () => {
                  await api.unlinkAccount(providerId);
                  return true;
                });
                if (done) await onChanged();
              }}
            >
              {unlink.busy ? 'Unlinking…' : 'Unlink'}
            </button>
          )}
        </td>
      </tr>
      {unlink.error && (
        <tr>
          <td colSpan={4}>
            <ErrorMessage error={unlink.error} testId="unlink-error" />
          </td>
        </tr>
      )}
    </>
  );
}
