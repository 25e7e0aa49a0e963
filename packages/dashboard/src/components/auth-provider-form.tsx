// The form that adds a sign-in provider or changes one added in the dashboard. The API checks it
// by the config file's rules; each problem shows beside its field. When accounts are linked under
// the provider's id, the API asks first, and the form offers to go ahead anyway.
import {
  type AdminAuthProviderDto,
  AUTH_PROVIDER_TYPES,
  type AuthProviderType,
  type CreateAuthProviderRequest,
} from '@atelier/protocol';
import { type FormEvent, useState } from 'react';
import { type ApiError, api } from '../api';
import { useAction } from '../use-action';
import { ErrorMessage } from './error-message';
import { Field } from './field';

export const TYPE_LABELS: Record<AuthProviderType, string> = {
  GitHub: 'GitHub',
  GitLab: 'GitLab',
  Bitbucket: 'Bitbucket Cloud',
  BitbucketServer: 'Bitbucket Server',
  AzureDevOps: 'Azure DevOps',
  OIDC: 'OpenID Connect',
};

const HOST_EXAMPLES: Record<AuthProviderType, string> = {
  GitHub: 'github.com',
  GitLab: 'gitlab.com',
  Bitbucket: 'bitbucket.org',
  BitbucketServer: 'bitbucket.example.com',
  AzureDevOps: 'dev.azure.com',
  OIDC: 'login.example.com',
};

const isType = (value: string): value is AuthProviderType =>
  (AUTH_PROVIDER_TYPES as readonly string[]).includes(value);

/** "Bitbucket Cloud" for Bitbucket; an unknown type as it is. */
export const typeLabel = (type: string): string => (isType(type) ? TYPE_LABELS[type] : type);

/** "host: must be …" details of an API error, by field path (the first one of each). */
function fieldErrors(error: ApiError | null): Record<string, string> {
  const found: Record<string, string> = {};
  for (const detail of error?.details ?? []) {
    const match = /^([\w.]+): (.+)$/.exec(detail);
    if (match?.[1] && match[2] && !(match[1] in found)) found[match[1]] = match[2];
  }
  return found;
}

export function AuthProviderForm({
  editing,
  onSaved,
  onCancel,
}: {
  /** null: a new provider */
  editing: AdminAuthProviderDto | null;
  onSaved: (provider: AdminAuthProviderDto, created: boolean) => Promise<void>;
  onCancel: () => void;
}) {
  const [id, setId] = useState(editing?.id ?? '');
  const [type, setType] = useState<AuthProviderType>(
    editing && isType(editing.type) ? editing.type : 'GitHub',
  );
  const [host, setHost] = useState(editing?.host ?? '');
  const [scheme, setScheme] = useState<'https' | 'http'>(editing?.scheme ?? 'https');
  const [clientId, setClientId] = useState(editing?.clientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [issuer, setIssuer] = useState(editing?.issuer ?? '');
  const save = useAction();
  const errors = fieldErrors(save.error);

  const submit = async (force: boolean) => {
    // OpenID Connect needs an issuer; Azure DevOps may name its Entra ID tenant by one
    const withIssuer = (type === 'OIDC' || type === 'AzureDevOps') && issuer.trim() !== '';
    const saved = await save.run(() => {
      if (editing) {
        return api.updateAuthProvider(
          editing.id,
          {
            host: host.trim(),
            type,
            scheme,
            oauth: {
              clientId: clientId.trim(),
              ...(clientSecret ? { clientSecret } : {}),
              issuer: withIssuer ? issuer.trim() : null,
            },
          },
          force,
        );
      }
      const body: CreateAuthProviderRequest = {
        id: id.trim(),
        type,
        host: host.trim(),
        scheme,
        oauth: {
          clientId: clientId.trim(),
          clientSecret,
          ...(withIssuer ? { issuer: issuer.trim() } : {}),
        },
      };
      return api.createAuthProvider(body, force);
    });
    if (saved) await onSaved(saved, editing === null);
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit(false);
  };

  return (
    <form onSubmit={onSubmit} aria-busy={save.busy} data-testid="provider-form" noValidate>
      <div className="row row-top">
        <Field
          label="ID"
          value={id}
          onChange={(e) => setId(e.target.value)}
          disabled={editing !== null}
          required
          maxLength={64}
          placeholder="corp-github"
          spellCheck={false}
          autoComplete="off"
          hint={
            editing
              ? 'accounts are stored under it, so it cannot change'
              : 'the sign-in page shows "Continue with <ID>"; it cannot change later'
          }
          error={errors.id}
          data-testid="provider-id"
        />
        <div className="field">
          <label htmlFor="provider-type">Type</label>
          <select
            id="provider-type"
            value={type}
            onChange={(e) => isType(e.target.value) && setType(e.target.value)}
            aria-invalid={errors.type ? true : undefined}
            data-testid="provider-type"
          >
            {AUTH_PROVIDER_TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
          {errors.type && <small className="field-error">{errors.type}</small>}
        </div>
      </div>
      <div className="row row-top">
        <Field
          label="Host"
          value={host}
          onChange={(e) => setHost(e.target.value)}
          required
          placeholder={HOST_EXAMPLES[type]}
          spellCheck={false}
          autoComplete="off"
          hint="with :port, and a /path if it lives below one"
          error={errors.host}
          data-testid="provider-host"
        />
        <div className="field">
          <label htmlFor="provider-scheme">Scheme</label>
          <select
            id="provider-scheme"
            value={scheme}
            onChange={(e) => setScheme(e.target.value === 'http' ? 'http' : 'https')}
            aria-invalid={errors.scheme ? true : undefined}
            data-testid="provider-scheme"
          >
            <option value="https">https</option>
            <option value="http">http (a provider on this machine only)</option>
          </select>
          {errors.scheme && <small className="field-error">{errors.scheme}</small>}
        </div>
      </div>
      <div className="row row-top">
        <Field
          label="Client ID"
          value={clientId}
          onChange={(e) => setClientId(e.target.value)}
          required
          spellCheck={false}
          autoComplete="off"
          error={errors['oauth.clientId']}
          data-testid="provider-client-id"
        />
        <Field
          label="Client secret"
          type="password"
          value={clientSecret}
          onChange={(e) => setClientSecret(e.target.value)}
          required={editing === null}
          autoComplete="new-password"
          hint={editing ? 'empty: keep the current one' : 'stored encrypted, never shown again'}
          error={errors['oauth.clientSecret']}
          data-testid="provider-client-secret"
        />
      </div>
      {type === 'OIDC' && (
        <Field
          label="Issuer"
          type="url"
          value={issuer}
          onChange={(e) => setIssuer(e.target.value)}
          required
          placeholder="https://login.example.com/realms/main"
          spellCheck={false}
          hint="its /.well-known/openid-configuration names the endpoints"
          error={errors['oauth.issuer']}
          data-testid="provider-issuer"
        />
      )}
      {type === 'AzureDevOps' && (
        <Field
          label="Entra ID tenant (issuer)"
          type="url"
          value={issuer}
          onChange={(e) => setIssuer(e.target.value)}
          placeholder="https://login.microsoftonline.com/<tenant ID>/v2.0"
          spellCheck={false}
          hint="users sign in through Microsoft Entra ID; empty: any work or school account (a multi-tenant app)"
          error={errors['oauth.issuer']}
          data-testid="provider-issuer"
        />
      )}
      <ErrorMessage error={save.error} testId="provider-error" />
      <div className="actions">
        {save.error?.code === 'failed_precondition' && (
          <button type="button" className="danger" disabled={save.busy} onClick={() => void submit(true)}>
            {editing ? 'Save anyway' : 'Add anyway'}
          </button>
        )}
        {editing && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" disabled={save.busy} data-testid="save-provider">
          {save.busy ? 'Saving…' : editing ? 'Save changes' : 'Add provider'}
        </button>
      </div>
    </form>
  );
}
