// GitLab (gitlab.com and self-managed): OAuth 2 with PKCE and refresh tokens, /api/v4/user.
import { z } from 'zod';
import { pkceCodeFlow } from './code-flow.js';
import { getJson } from './http.js';
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
  ...pkceCodeFlow({
    endpoints: (provider) => ({
      authorize: `${provider.webOrigin}/oauth/authorize`,
      token: `${provider.webOrigin}/oauth/token`,
    }),
    redirectUriOnRefresh: true,
  }),
  async account(provider, accessToken) {
    const u = user.parse(await getJson(provider, `${provider.webOrigin}/api/v4/user`, accessToken));
    return { subject: String(u.id), login: u.username, email: u.email ?? null, name: u.name ?? null };
  },
};
