// The app shell: asks the server whether setup is needed and who is signed in, then routes.
import { contextFromHash, type UserDto } from '@atelier/protocol';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { type ApiError, api, setUnauthenticatedHandler, toApiError } from './api';
import { ErrorMessage } from './components/error-message';
import { Layout } from './components/layout';
import { AccountsPage } from './pages/accounts-page';
import { AuthProvidersPage } from './pages/auth-providers-page';
import { CreateFromHashPage } from './pages/create-from-hash-page';
import { NotFoundPage } from './pages/not-found-page';
import { PreferencesPage } from './pages/preferences-page';
import { SetupPage } from './pages/setup-page';
import { SignInPage } from './pages/sign-in-page';
import { SshKeysPage } from './pages/ssh-keys-page';
import { StartPage } from './pages/start-page';
import { TokensPage } from './pages/tokens-page';
import { VariablesPage } from './pages/variables-page';
import { WorkspacesPage } from './pages/workspaces-page';
import { currentHref, navigate, type Place, safeReturn, usePlace } from './router';

type Boot =
  | { state: 'loading' }
  | { state: 'failed'; error: ApiError }
  | { state: 'ready'; needsSetup: boolean; user: UserDto | null; sessionEnded?: boolean };

const ENTRY_PATHS = new Set(['/login', '/setup']);

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const place = usePlace();

  const load = useCallback(async () => {
    setBoot({ state: 'loading' });
    try {
      const status = await api.setupStatus();
      setBoot({ state: 'ready', needsSetup: status.needsSetup, user: status.user });
    } catch (e) {
      setBoot({ state: 'failed', error: toApiError(e) });
    }
  }, []);

  useEffect(() => {
    void load();
    // A request refused for a missing session means it expired: show the sign-in page.
    setUnauthenticatedHandler(() =>
      setBoot((b) => (b.state === 'ready' && b.user ? { ...b, user: null, sessionEnded: true } : b)),
    );
  }, [load]);

  const ready = boot.state === 'ready' ? boot : undefined;
  const signedOut = ready !== undefined && !ready.needsSetup && ready.user === null;
  const signedIn = ready?.user != null;
  const { pathname } = place;
  const returnTo = place.search.get('return');
  useEffect(() => {
    if (signedOut && pathname !== '/login') {
      navigate(`/login?return=${encodeURIComponent(currentHref())}`, { replace: true });
    } else if (signedIn && ENTRY_PATHS.has(pathname)) {
      navigate(safeReturn(returnTo) ?? '/', { replace: true });
    }
  }, [signedOut, signedIn, pathname, returnTo]);

  if (boot.state === 'loading') {
    return (
      <p className="boot" role="status">
        Loading…
      </p>
    );
  }
  if (boot.state === 'failed') {
    return (
      <main className="boot">
        <h1>Atelier cannot load</h1>
        <ErrorMessage error={boot.error} />
        <button type="button" onClick={() => void load()}>
          Try again
        </button>
      </main>
    );
  }

  const onSignedIn = (user: UserDto) => setBoot({ state: 'ready', needsSetup: false, user });
  const onSignedOut = () => {
    setBoot({ state: 'ready', needsSetup: false, user: null });
    navigate('/login', { replace: true });
  };
  let page: ReactNode;
  if (boot.needsSetup) page = <SetupPage onDone={onSignedIn} />;
  else if (!boot.user)
    page = <SignInPage onSignedIn={onSignedIn} sessionEnded={boot.sessionEnded === true} />;
  else page = routed(place, boot.user);
  return (
    <Layout user={boot.user} onSignedOut={onSignedOut}>
      {page}
    </Layout>
  );
}

function routed(place: Place, user: UserDto): ReactNode {
  const { pathname } = place;
  if (pathname === '/') {
    const contextUrl = contextFromHash(place.hash);
    return contextUrl ? (
      <CreateFromHashPage key={contextUrl} contextUrl={contextUrl} />
    ) : (
      <WorkspacesPage user={user} />
    );
  }
  const start = /^\/start\/([^/]+)\/?$/.exec(pathname);
  if (start?.[1]) {
    const id = decodeURIComponent(start[1]);
    return <StartPage key={id} workspaceId={id} />;
  }
  if (pathname === '/tokens') return <TokensPage />;
  if (pathname === '/variables') return <VariablesPage />;
  if (pathname === '/ssh-keys') return <SshKeysPage />;
  if (pathname === '/preferences') return <PreferencesPage />;
  if (pathname === '/accounts') return <AccountsPage />;
  if (pathname === '/admin/auth-providers') return user.admin ? <AuthProvidersPage /> : <NotFoundPage />;
  if (ENTRY_PATHS.has(pathname)) return null; // redirected by the effect above
  return <NotFoundPage />;
}
