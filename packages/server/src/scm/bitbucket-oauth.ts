// Bitbucket Cloud: OAuth 2 consumers (no PKCE: the state guards the flow; client authenticated with
// HTTP Basic), refresh tokens; /2.0/user and /2.0/user/emails.
import { z } from 'zod';
import { getJson, postForm, providerToken } from './http.js';
import type { OAuthFlavor } from './oauth.js';
import type { AuthProvider } from './providers.js';

const user = z.object({
  uuid: z.string(),
  username: z.string(),
  display_name: z.string().nullable().optional(),
});
const emails = z.object({
  values: z.array(z.object({ email: z.string(), is_primary: z.boolean(), is_confirmed: z.boolean() })),
});

/** Bitbucket's REST API: api.bitbucket.org for bitbucket.org, <origin> elsewhere (a test server). */
export function bitbucketApi(provider: AuthProvider): string {
  return provider.host === 'bitbucket.org' ? 'https://api.bitbucket.org/2.0' : `${provider.webOrigin}/2.0`;
}

const basic = (p: AuthProvider) => ({
  authorization: `Basic ${Buffer.from(`${p.clientId}:${p.clientSecret}`).toString('base64')}`,
});

export const bitbucketOAuth: OAuthFlavor = {
  // a consumer's scopes are set where it is registered; Bitbucket takes no scope parameter
  scopes: (repositories) =>
    repositories ? ['account', 'email', 'repository', 'repository:write'] : ['account', 'email'],
  authorizeUrl(provider, params) {
    const url = new URL(`${provider.webOrigin}/site/oauth2/authorize`);
    url.search = new URLSearchParams({
      client_id: provider.clientId,
      response_type: 'code',
      state: params.state,
    }).toString();
    return url.toString();
  },
  async exchange(provider, code) {
    return providerToken(
      provider,
      await postForm(
        provider,
        `${provider.webOrigin}/site/oauth2/access_token`,
        { grant_type: 'authorization_code', code },
        basic(provider),
      ),
      'scopes',
    );
  },
  async refresh(provider, refreshToken) {
    return providerToken(
      provider,
      await postForm(
        provider,
        `${provider.webOrigin}/site/oauth2/access_token`,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        basic(provider),
      ),
      'scopes',
    );
  },
  async account(provider, accessToken) {
    const u = user.parse(await getJson(provider, `${bitbucketApi(provider)}/user`, accessToken));
    const list = emails.safeParse(
      await getJson(provider, `${bitbucketApi(provider)}/user/emails`, accessToken).catch(() => null),
    );
    const primary = list.success
      ? list.data.values.find((e) => e.is_primary && e.is_confirmed)?.email
      : undefined;
    return { subject: u.uuid, login: u.username, email: primary ?? null, name: u.display_name ?? null };
  },
};
