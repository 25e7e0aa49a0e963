// Any path the dashboard does not know.
import { Link, useTitle } from '../router';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <section className="card narrow">
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{location.pathname}</code>. <Link href="/">Go to your workspaces</Link>.
      </p>
    </section>
  );
}
