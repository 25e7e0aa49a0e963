// Azure DevOps Services: users sign in through Microsoft Entra ID (OAuth 2 v2.0 endpoints of the
// tenant oauth.issuer names; PKCE; refresh tokens with offline_access), as Azure DevOps takes no new
// apps of its own OAuth since April 2025; the account is their Azure DevOps profile.
// The app is registered in Entra ID with the redirect URI <dashboard>/auth/callback, a client secret
// and the delegated Azure DevOps permissions Atelier may use — vso.code_write and vso.profile (or
// user_impersonation): the sign-in asks for `<Azure DevOps>/.default`, which grants those.
import { AppError } from '@atelier/protocol';
import { z } from 'zod';
import { pkceCodeFlow } from './code-flow.js';
import { reach } from './http.js';
import type { OAuthFlavor } from './oauth.js';
import type { AuthProvider } from './providers.js';

/** Azure DevOps' application id in Entra ID: its permissions are scopes `<id>/<name>`. */
export const AZURE_DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';
const SCOPES = [`${AZURE_DEVOPS_RESOURCE}/.default`, 'offline_access'];
/** Without oauth.issuer: any work or school account (a multi-tenant app). */
const DEFAULT_ISSUER = 'https://login.microsoftonline.com/organizations/v2.0';

/** The tenant's endpoint: its issuer `<login>/<tenant>/v2.0` becomes `<login>/<tenant>/oauth2/v2.0/<which>`. */
export function entraEndpoint(provider: AuthProvider, which: 'authorize' | 'token'): string {
  const tenant = (provider.issuer ?? DEFAULT_ISSUER).replace(/\/+$/, '').replace(/\/v2\.0$/, '');
  return `${tenant}/oauth2/v2.0/${which}`;
}

/** The profile API: app.vssps.visualstudio.com for dev.azure.com, <origin> elsewhere (a test server). */
export function azureProfileOrigin(provider: Pick<AuthProvider, 'host' | 'webOrigin'>): string {
  return provider.host === 'dev.azure.com' ? 'https://app.vssps.visualstudio.com' : provider.webOrigin;
}

/**
 * Asked of every Azure DevOps API call: a refused request answers 401, not 203 with a sign-in page
 * meant for a browser.
 */
export const SUPPRESS_SIGN_IN_PAGE = { 'x-tfs-fedauthredirect': 'Suppress' } as const;

const profileSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().nullable().optional(),
  emailAddress: z.string().nullable().optional(),
  publicAlias: z.string().nullable().optional(),
});

async function profile(provider: AuthProvider, accessToken: string): Promise<z.infer<typeof profileSchema>> {
  const url = `${azureProfileOrigin(provider)}/_apis/profile/profiles/me?api-version=7.1`;
  const res = await reach(provider, url, {
    headers: { ...SUPPRESS_SIGN_IN_PAGE, accept: 'application/json', authorization: `Bearer ${accessToken}` },
  });
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw new AppError(
      'permission_denied',
      `${provider.id} did not let Atelier read your Azure DevOps profile (${res.status}): the app registration in Entra ID needs Azure DevOps' vso.profile (or user_impersonation) permission, and your account access to an Azure DevOps organization`,
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new AppError('unavailable', `${provider.id} answered ${res.status} to /_apis/profile/profiles/me`);
  }
  const parsed = profileSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new AppError(
      'unavailable',
      `${provider.id} answered /_apis/profile/profiles/me in an unexpected shape`,
    );
  }
  return parsed.data;
}

export const azureDevOpsOAuth: OAuthFlavor = {
  // `.default`: the permissions the app registration was given; no narrower ask without private repositories
  scopes: () => SCOPES,
  ...pkceCodeFlow({
    endpoints: (provider) => ({
      authorize: entraEndpoint(provider, 'authorize'),
      token: entraEndpoint(provider, 'token'),
    }),
    authorizeParams: { response_mode: 'query' },
    tokenParams: { scope: SCOPES.join(' ') },
    redirectUriOnRefresh: false,
  }),
  async account(provider, accessToken) {
    const p = await profile(provider, accessToken);
    const email = p.emailAddress || null;
    // Azure DevOps has no user names: the e-mail address (the Entra sign-in name) stands for one
    const login = email?.split('@')[0] || p.displayName || p.publicAlias || p.id;
    return { subject: p.id, login, email, name: p.displayName || null };
  },
};
