// The user's SSH public keys: with one of them, `ssh <workspace id>@<host>` (and scp, sftp, VS Code's
// Remote-SSH) reaches any of the user's running workspaces through the SSH gateway.
import type { SshKeyDto } from '@atelier/protocol';
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { DeleteButton } from '../components/delete-button';
import { ErrorMessage } from '../components/error-message';
import { Field } from '../components/field';
import { useTitle } from '../router';
import { useAction } from '../use-action';
import { useLoaded } from '../use-loaded';

export function SshKeysPage() {
  useTitle('SSH keys');
  const { data: keys, error: loadError, reload } = useLoaded(api.listSshKeys);
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [added, setAdded] = useState<string | null>(null);
  const add = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setAdded(null);
    const trimmed = name.trim();
    const result = await add.run(() => api.addSshKey({ publicKey, ...(trimmed ? { name: trimmed } : {}) }));
    if (!result) return;
    setAdded(`Added ${result.name} (${result.fingerprint}).`);
    setName('');
    setPublicKey('');
    await reload();
  };

  return (
    <>
      <section className="card" aria-labelledby="keys-title">
        <h1 id="keys-title">SSH keys</h1>
        <p>
          With one of these keys, <code>ssh</code>, <code>scp</code>, <code>sftp</code> and VS Code's
          Remote-SSH reach your running workspaces through Atelier's SSH gateway, as user{' '}
          <code>&lt;workspace id&gt;</code>. Paste a public key: the content of{' '}
          <code>~/.ssh/id_ed25519.pub</code> (make one with <code>ssh-keygen -t ed25519</code>).{' '}
          <code>atelier ssh-config</code> prints a <code>~/.ssh/config</code> block for each workspace.
        </p>
        <form onSubmit={submit} aria-busy={add.busy}>
          <div className="field">
            <label htmlFor="ssh-public-key">Public key</label>
            <textarea
              id="ssh-public-key"
              value={publicKey}
              onChange={(e) => setPublicKey(e.target.value)}
              required
              rows={3}
              spellCheck={false}
              placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@laptop"
              data-testid="ssh-key-text"
            />
          </div>
          <Field
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={100}
            hint="default: the key's comment"
            data-testid="ssh-key-name"
          />
          <button type="submit" disabled={add.busy} data-testid="add-ssh-key">
            {add.busy ? 'Adding…' : 'Add key'}
          </button>
        </form>
        <ErrorMessage error={add.error} testId="ssh-key-error" />
        {added && <p role="status">{added}</p>}
      </section>
      <section className="card" aria-labelledby="key-list-title">
        <h2 id="key-list-title">Your keys</h2>
        <ErrorMessage error={loadError} />
        {keys === null ? (
          !loadError && <p role="status">Loading keys…</p>
        ) : keys.length === 0 ? (
          <p className="empty">
            No SSH keys. Without one, use the command on a workspace's page (it holds a token).
          </p>
        ) : (
          <table className="tokens" data-testid="ssh-key-list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <KeyRow key={k.id} sshKey={k} onDeleted={reload} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function KeyRow({ sshKey, onDeleted }: { sshKey: SshKeyDto; onDeleted: () => Promise<void> }) {
  return (
    <tr>
      <td>
        {sshKey.name} <span className="hint">{sshKey.algorithm}</span>
      </td>
      <td>
        <code>{sshKey.fingerprint}</code>
      </td>
      <td>{new Date(sshKey.createdAt).toLocaleString()}</td>
      <td className="actions">
        <DeleteButton
          label={`Delete ${sshKey.name}`}
          remove={() => api.deleteSshKey(sshKey.id)}
          onDone={onDeleted}
        >
          Delete
        </DeleteButton>
      </td>
    </tr>
  );
}
