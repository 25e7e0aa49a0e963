// GitHub (github.com and GitHub Enterprise): OAuth apps with PKCE; /user and /user/emails.
import { z } from 'zod';
import { getJson, postForm, providerToken } from './http.js';
import type { OAuthFlavor } from './oauth.js';
import type { AuthProvider } from './providers.js';

const user = z.object({
  id: z.number(),
  login: z.string(),
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
});
const emails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }));

/** GitHub's REST API: api.github.com for github.com, <origin>/api/v3 for GitHub Enterprise. */
export function githubApi(provider: AuthProvider): string {
  return provider.host === 'github.com' ? 'https://api.github.com' : `${provider.webOrigin}/api/v3`;
}

export const githubOAuth: OAuthFlavor = {
  scopes: (repositories) =>
    repositories ? ['read:user', 'user:email', 'repo'] : ['read:user', 'user:email'],
  authorizeUrl(provider, params) {
    const url = new URL(`${provider.webOrigin}/login/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: provider.clientId,
      redirect_uri: provider.callbackUrl,
      scope: params.scopes.join(' '),
      state: params.state,
      code_challenge: params.challenge,
      code_challenge_method: 'S256',
      allow_signup: 'false',
    }).toString();
    return url.toString();
  },
  async exchange(provider, code, verifier) {
    const body = await postForm(provider, `${provider.webOrigin}/login/oauth/access_token`, {
      client_id: provider.clientId,
      client_secret: provider.clientSecret,
      code,
      redirect_uri: provider.callbackUrl,
      code_verifier: verifier,
    });
    return providerToken(provider, body, 'scope');
  },
  async account(provider, accessToken) {
    const u = user.parse(await getJson(provider, `${githubApi(provider)}/user`, accessToken));
    const list = emails.safeParse(
      await getJson(provider, `${githubApi(provider)}/user/emails`, accessToken).catch(() => null),
    );
    const primary = list.success ? list.data.find((e) => e.primary && e.verified)?.email : undefined;
    return { subject: String(u.id), login: u.login, email: primary ?? u.email ?? null, name: u.name ?? null };
  },
};
