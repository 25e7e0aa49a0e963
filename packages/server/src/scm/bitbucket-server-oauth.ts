// Bitbucket Server / Data Center (7.21 and later): OAuth 2.0 through an incoming application link
// (<origin>/rest/oauth2/latest/authorize and /token; PKCE S256; refresh tokens). The administrator
// creates the link with the redirect URL <dashboard>/auth/callback and the permissions Repositories
// Write (which holds Read); the account is the one /plugins/servlet/applinks/whoami names, read at
// /rest/api/1.0/users/<slug>.
import { AppError } from '@atelier/protocol';
import { z } from 'zod';
import { pkceCodeFlow } from './code-flow.js';
import { getJson, reach } from './http.js';
import type { OAuthFlavor } from './oauth.js';
import type { AuthProvider } from './providers.js';

const userSchema = z.object({
  id: z.number(),
  name: z.string().min(1),
  slug: z.string(),
  displayName: z.string().nullable().optional(),
  emailAddress: z.string().nullable().optional(),
});
const usersSchema = z.object({ values: z.array(userSchema) });

const endpoint = (provider: AuthProvider, which: 'authorize' | 'token') =>
  `${provider.webOrigin}/rest/oauth2/latest/${which}`;
const restApi = (provider: AuthProvider) => `${provider.webOrigin}/rest/api/1.0`;

/** The user name a token belongs to, as text: Bitbucket's REST API has no "current user" resource. */
async function whoami(provider: AuthProvider, accessToken: string): Promise<string> {
  const res = await reach(provider, `${provider.webOrigin}/plugins/servlet/applinks/whoami`, {
    headers: { accept: 'text/plain', authorization: `Bearer ${accessToken}` },
  });
  const name = res.ok ? (await res.text()).trim() : '';
  if (!res.ok) await res.body?.cancel();
  if (!name) {
    throw new AppError(
      'unavailable',
      `${provider.id} did not say whose token Atelier holds (/plugins/servlet/applinks/whoami answered ${res.status}${res.ok ? ' without a name' : ''}): check that ${provider.webOrigin} is Bitbucket Data Center 7.21 or later`,
    );
  }
  return name;
}

/**
 * The user named `name`: at /users/<name> when the slug is the name (most are), else found by
 * /users?filter= (a name like `ada@corp` has the slug `ada_corp`).
 */
async function userNamed(provider: AuthProvider, accessToken: string, name: string) {
  const res = await reach(provider, `${restApi(provider)}/users/${encodeURIComponent(name)}`, {
    headers: { accept: 'application/json', authorization: `Bearer ${accessToken}` },
  });
  if (res.ok) {
    const user = userSchema.safeParse(await res.json().catch(() => undefined));
    if (user.success && user.data.name === name) return user.data;
  } else await res.body?.cancel();
  const url = `${restApi(provider)}/users?filter=${encodeURIComponent(name)}&limit=100`;
  const found = usersSchema
    .parse(await getJson(provider, url, accessToken))
    .values.find((u) => u.name === name);
  if (!found) {
    throw new AppError(
      'unavailable',
      `${provider.id} names the signed-in user ${name} but shows no such user`,
    );
  }
  return found;
}

export const bitbucketServerOAuth: OAuthFlavor = {
  // Bitbucket has no scope for the account alone: a sign-in asks to read the repositories the user
  // may read (as Gitpod's did), and the grant for private repositories adds pushing to them
  scopes: (repositories) =>
    repositories ? ['PUBLIC_REPOS', 'REPO_READ', 'REPO_WRITE'] : ['PUBLIC_REPOS', 'REPO_READ'],
  ...pkceCodeFlow({
    endpoints: (provider) => ({
      authorize: endpoint(provider, 'authorize'),
      token: endpoint(provider, 'token'),
    }),
    redirectUriOnRefresh: true,
  }),
  async account(provider, accessToken) {
    const u = await userNamed(provider, accessToken, await whoami(provider, accessToken));
    return {
      subject: String(u.id),
      // the user name, not the slug: git's Basic auth takes it beside the token (git-credentials.ts)
      login: u.name,
      email: u.emailAddress || null,
      name: u.displayName || null,
    };
  },
};
