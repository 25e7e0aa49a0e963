// Gitpod-style entry: /#<repository URL> creates a workspace right away and opens its start page.
import { useEffect, useRef } from 'react';
import { api } from '../api';
import { ErrorMessage } from '../components/error-message';
import { Link, navigate, useTitle } from '../router';
import { useAction } from '../use-action';

export function CreateFromHashPage({ contextUrl }: { contextUrl: string }) {
  useTitle('New workspace');
  const action = useAction();
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return; // once per page, also under React's development double effects
    started.current = true;
    void action.run(async () => {
      const created = await api.createWorkspace({ contextUrl });
      navigate(`/start/${encodeURIComponent(created.id)}`, { replace: true });
    });
  }, [action.run, contextUrl]);

  return (
    <section className="card narrow" aria-labelledby="create-title">
      <h1 id="create-title">New workspace</h1>
      <p className="break">
        Repository: <code>{contextUrl}</code>
      </p>
      {action.error ? (
        <>
          <ErrorMessage error={action.error} testId="create-error" />
          <p>
            <Link href="/">Back to your workspaces</Link>
          </p>
        </>
      ) : (
        <p role="status">Checking the repository and creating the workspace…</p>
      )}
    </section>
  );
}
