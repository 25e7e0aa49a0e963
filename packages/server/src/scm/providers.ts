// The config file's sign-in providers (authProviders); provider-registry.ts adds the ones
// administrators add in the dashboard. Each knows its web origin, API origin and OAuth endpoints by type.
import {
  AppError,
  type AuthProviderConfig,
  type Config,
  dashboardUrl,
  type PublicUrls,
} from '@atelier/protocol';

export type ProviderType = AuthProviderConfig['type'];

export interface AuthProvider {
  id: string;
  host: string;
  type: ProviderType;
  clientId: string;
  clientSecret: string;
  /** https://github.com, http://127.0.0.1:9000 (a local test server), https://1.2.3.4/gitlab */
  webOrigin: string;
  /** where the provider sends the user back: <dashboard>/auth/callback */
  callbackUrl: string;
  /** OIDC: the issuer whose /.well-known/openid-configuration names the endpoints */
  issuer?: string;
}

export function configuredProviders(config: Config, urls: PublicUrls): AuthProvider[] {
  const callbackUrl = `${dashboardUrl(urls)}/auth/callback`;
  return config.authProviders.map((p) => {
    if (p.oauth.callBackUrl && p.oauth.callBackUrl !== callbackUrl) {
      throw new AppError(
        'invalid_argument',
        `authProviders ${p.id}: oauth.callBackUrl is ${p.oauth.callBackUrl}, but Atelier receives callbacks at ${callbackUrl} — register that URL at the provider and remove callBackUrl or set it to it`,
      );
    }
    return {
      id: p.id,
      host: p.host,
      type: p.type,
      clientId: p.oauth.clientId,
      clientSecret: p.oauth.clientSecret,
      webOrigin: `${p.scheme}://${p.host}`,
      callbackUrl,
      ...(p.oauth.issuer ? { issuer: p.oauth.issuer } : {}),
    };
  });
}

/** The provider with this id; not_found names the ones there are. */
export function providerById(providers: readonly AuthProvider[], id: string): AuthProvider {
  const found = providers.find((p) => p.id === id);
  if (!found) {
    const known = providers.map((p) => p.id).join(', ') || 'none is configured (authProviders)';
    throw new AppError('not_found', `no sign-in provider ${id}: the providers are ${known}`);
  }
  return found;
}
