// GitLab (gitlab.com and self-managed): OAuth 2 with PKCE and refresh tokens, /api/v4/user.
import { z } from 'zod';
import { getJson, postForm, providerToken } from './http.js';
import type { OAuthFlavor } from './oauth.js';

const user = z.object({
  id: z.number(),
  username: z.string(),
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
});

export const gitlabOAuth: OAuthFlavor = {
  scopes: (repositories) =>
    repositories ? ['read_user', 'read_api', 'read_repository', 'write_repository'] : ['read_user'],
  authorizeUrl(provider, params) {
    const url = new URL(`${provider.webOrigin}/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: provider.clientId,
      redirect_uri: provider.callbackUrl,
      response_type: 'code',
      scope: params.scopes.join(' '),
      state: params.state,
      code_challenge: params.challenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  },
  async exchange(provider, code, verifier) {
    return providerToken(
      provider,
      await postForm(provider, `${provider.webOrigin}/oauth/token`, {
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
        code,
        grant_type: 'authorization_code',
        redirect_uri: provider.callbackUrl,
        code_verifier: verifier,
      }),
      'scope',
    );
  },
  async refresh(provider, refreshToken) {
    return providerToken(
      provider,
      await postForm(provider, `${provider.webOrigin}/oauth/token`, {
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
        refresh_token: refreshToken,
        grant_type: 'refresh_token',
        redirect_uri: provider.callbackUrl,
      }),
      'scope',
    );
  },
  async account(provider, accessToken) {
    const u = user.parse(await getJson(provider, `${provider.webOrigin}/api/v4/user`, accessToken));
    return { subject: String(u.id), login: u.username, email: u.email ?? null, name: u.name ?? null };
  },
};
