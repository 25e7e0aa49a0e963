// The page frame: header with navigation and the signed-in user, then the page itself.
import type { UserDto } from '@atelier/protocol';
import type { ReactNode } from 'react';
import { api } from '../api';
import { Link, usePlace } from '../router';
import { useAction } from '../use-action';
import { ErrorMessage } from './error-message';

export function Layout({
  user,
  onSignedOut,
  children,
}: {
  user: UserDto | null;
  onSignedOut: () => void;
  children: ReactNode;
}) {
  const { pathname } = usePlace();
  const signOut = useAction();
  const nav = (href: string, label: string, active: boolean) => (
    <Link href={href} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/" className="brand">
          Atelier
        </Link>
        {user && (
          <nav aria-label="Main">
            {nav('/', 'Workspaces', pathname === '/' || pathname.startsWith('/start/'))}
            {nav('/variables', 'Variables', pathname === '/variables')}
            {nav('/ssh-keys', 'SSH keys', pathname === '/ssh-keys')}
            {nav('/tokens', 'Access tokens', pathname === '/tokens')}
            {nav('/accounts', 'Linked accounts', pathname === '/accounts')}
            {nav('/preferences', 'Preferences', pathname === '/preferences')}
            {user.admin &&
              nav('/admin/auth-providers', 'Sign-in providers', pathname === '/admin/auth-providers')}
          </nav>
        )}
        {user && (
          <div className="who">
            <span>
              Signed in as <strong>{user.name}</strong>
              {user.admin && ' (admin)'}
            </span>
            <button
              type="button"
              className="secondary"
              disabled={signOut.busy}
              onClick={async () => {
                const done = await signOut.run(async () => {
                  await api.logout();
                  return true;
                });
                if (done) onSignedOut();
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorMessage error={signOut.error} />
        {children}
      </main>
    </>
  );
}
