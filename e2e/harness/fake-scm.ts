// What the end-to-end tests with a fake SCM share: an OAuth app registered at the fake (its
// redirect URI added once Atelier has its port) and the authProviders entry that points Atelier at it.
import type { FakeScm, FakeScmApp } from '@atelier/fake-scm';

/** An OAuth app for a fake's spec; `registerCallback` adds Atelier's callback once it is known. */
export function oauthApp(name: string): FakeScmApp & { registerCallback(atelierUrl: string): void } {
  const app = {
    clientId: name,
    clientSecret: `${name}-secret-0123456789`,
    redirectUris: [] as string[],
    registerCallback(atelierUrl: string) {
      app.redirectUris.push(`${atelierUrl}/auth/callback`);
    },
  };
  return app;
}

/** Atelier's config lines: `scm` as sign-in provider `id` of `type` (on loopback, so over http). */
export function providerConfig(
  scm: FakeScm,
  app: FakeScmApp,
  { id = 'fake-github', type = 'GitHub' }: { id?: string; type?: string } = {},
): string {
  return [
    'authProviders:',
    `  - id: ${id}`,
    `    host: "${scm.host}"`,
    `    type: ${type}`,
    '    scheme: http',
    `    oauth: { clientId: ${app.clientId}, clientSecret: ${app.clientSecret} }`,
  ].join('\n');
}
