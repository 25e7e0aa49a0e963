// The authorization-code grant with PKCE and the client's secret in the form (RFC 6749 §4.1 and
// §6, RFC 7636) as GitLab, Bitbucket Data Center and Microsoft Entra ID take it: one authorize URL,
// one code exchange and one refresh, each provider adding its own parameters.
import { postForm, providerToken } from './http.js';
import type { OAuthFlavor } from './oauth.js';
import type { AuthProvider } from './providers.js';

export interface CodeFlowOptions {
  endpoints(provider: AuthProvider): { authorize: string; token: string };
  /** added to the authorize URL (Entra's response_mode, say) */
  authorizeParams?: Record<string, string>;
  /** added to the code exchange and the refresh (Entra's scope) */
  tokenParams?: Record<string, string>;
  /** GitLab and Bitbucket want the redirect URI again when refreshing; Entra does not */
  redirectUriOnRefresh: boolean;
}

export function pkceCodeFlow(
  opts: CodeFlowOptions,
): Pick<OAuthFlavor, 'authorizeUrl' | 'exchange' | 'refresh'> {
  const tokenRequest = async (provider: AuthProvider, form: Record<string, string>) =>
    providerToken(
      provider,
      await postForm(provider, opts.endpoints(provider).token, {
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
        ...form,
        ...opts.tokenParams,
      }),
      'scope',
    );
  return {
    authorizeUrl(provider, params) {
      const url = new URL(opts.endpoints(provider).authorize);
      url.search = new URLSearchParams({
        client_id: provider.clientId,
        redirect_uri: provider.callbackUrl,
        response_type: 'code',
        ...opts.authorizeParams,
        scope: params.scopes.join(' '),
        state: params.state,
        code_challenge: params.challenge,
        code_challenge_method: 'S256',
      }).toString();
      return url.toString();
    },
    exchange: (provider, code, verifier) =>
      tokenRequest(provider, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: provider.callbackUrl,
        code_verifier: verifier,
      }),
    refresh: (provider, refreshToken) =>
      tokenRequest(provider, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        ...(opts.redirectUriOnRefresh ? { redirect_uri: provider.callbackUrl } : {}),
      }),
  };
}
