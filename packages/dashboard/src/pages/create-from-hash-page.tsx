// Gitpod-style entry: /#<repository URL> creates a workspace and opens its start page — or, when one
// of the user's workspaces on the same context runs already, offers to open that one instead.
import { isActive, parseContextUrl, type WorkspaceDto } from '@atelier/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api';
import { ErrorMessage } from '../components/error-message';
import { Link, navigate, useTitle } from '../router';
import { useAction } from '../use-action';

/** The context as the server stores it, so that the same repository URL written two ways matches. */
function normalized(contextUrl: string): string {
  try {
    return parseContextUrl(contextUrl).contextUrl;
  } catch {
    return contextUrl; // invalid: the create below says what is wrong with it
  }
}

export function CreateFromHashPage({ contextUrl }: { contextUrl: string }) {
  useTitle('New workspace');
  const action = useAction();
  const started = useRef(false);
  const [running, setRunning] = useState<WorkspaceDto | null>(null);

  const create = useCallback(
    () =>
      action.run(async () => {
        const created = await api.createWorkspace({ contextUrl });
        navigate(`/start/${encodeURIComponent(created.id)}`, { replace: true });
      }),
    [action.run, contextUrl],
  );

  useEffect(() => {
    if (started.current) return; // once per page, also under React's development double effects
    started.current = true;
    void (async () => {
      const wanted = normalized(contextUrl);
      const mine = await api.listWorkspaces().catch(() => [] as WorkspaceDto[]);
      const same = mine.find((w) => w.contextUrl === wanted && w.instance && isActive(w.instance.phase));
      if (same) setRunning(same);
      else await create();
    })();
  }, [contextUrl, create]);

  return (
    <section className="card narrow" aria-labelledby="create-title">
      <h1 id="create-title">New workspace</h1>
      <p className="break">
        Opening <code>{contextUrl}</code>
      </p>
      {action.error ? (
        <>
          <ErrorMessage error={action.error} testId="create-error" />
          <GrantAccess contextUrl={contextUrl} code={action.error.code} />
          <p>
            <Link href="/">Back to your workspaces</Link>
          </p>
        </>
      ) : running && !action.busy ? (
        <div data-testid="running-offer">
          <p>
            Your workspace <code>{running.id}</code> on this repository is {running.instance?.phase}.
          </p>
          <div className="actions">
            <button
              type="button"
              onClick={() => navigate(`/start/${encodeURIComponent(running.id)}`, { replace: true })}
              data-testid="open-running"
            >
              Open it
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => void create()}
              data-testid="create-anyway"
            >
              New workspace
            </button>
          </div>
        </div>
      ) : (
        <p role="status">Checking the repository and creating the workspace…</p>
      )}
    </section>
  );
}

/** The host a context names (after any `VAR=v,…/` or `referrer:…/` prefixes), or undefined. */
function contextHost(contextUrl: string): string | undefined {
  const match = /(?:^|\/)(https?:\/\/[^/\s]+)/i.exec(contextUrl);
  try {
    return match?.[1] ? new URL(match[1]).host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A repository the server could not see, on a provider users sign in with: it may be private, and
 * the sign-in so far did not grant access to private repositories. One click asks the provider for
 * that access and comes back here to try again.
 */
function GrantAccess({ contextUrl, code }: { contextUrl: string; code: string }) {
  const [provider, setProvider] = useState<{ id: string; loginUrl: string } | null>(null);
  useEffect(() => {
    if (code !== 'not_found' && code !== 'permission_denied' && code !== 'invalid_argument') return;
    const host = contextHost(contextUrl);
    if (!host) return;
    void api
      .authProviders()
      .then((list) => setProvider(list.find((p) => p.host === host) ?? null))
      .catch(() => setProvider(null));
  }, [contextUrl, code]);
  if (!provider) return null;
  const returnTo = `/#${contextUrl}`;
  const href = `${provider.loginUrl}?link=1&repositories=1&returnTo=${encodeURIComponent(returnTo)}`;
  return (
    <div className="notice stacked" data-testid="grant-access">
      <p>
        If the repository is private, Atelier needs your permission to read it with your {provider.id}{' '}
        account.
      </p>
      <a className="button" href={href} data-testid="grant-access-link">
        Grant {provider.id} access to private repositories
      </a>
    </div>
  );
}
