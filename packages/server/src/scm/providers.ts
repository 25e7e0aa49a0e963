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

/** Where every provider sends the user back: what is registered at the provider. */
export const callbackUrlOf = (urls: PublicUrls): string => `${dashboardUrl(urls)}/auth/callback`;

/** A provider from its stored or configured fields: web origin from scheme and host. */
export function authProvider(
  p: Pick<AuthProvider, 'id' | 'host' | 'type' | 'clientId' | 'clientSecret' | 'callbackUrl'> & {
    scheme: 'http' | 'https';
    issuer?: string | null | undefined;
  },
): AuthProvider {
  return {
    id: p.id,
    host: p.host,
    type: p.type,
    clientId: p.clientId,
    clientSecret: p.clientSecret,
    webOrigin: `${p.scheme}://${p.host}`,
    callbackUrl: p.callbackUrl,
    ...(p.issuer ? { issuer: p.issuer } : {}),
  };
}

export function configuredProviders(config: Config, urls: PublicUrls): AuthProvider[] {
  const callbackUrl = callbackUrlOf(urls);
  return config.authProviders.map((p) => {
    if (p.oauth.callBackUrl && p.oauth.callBackUrl !== callbackUrl) {
      throw new AppError(
        'invalid_argument',
        `authProviders ${p.id}: oauth.callBackUrl is ${p.oauth.callBackUrl}, but Atelier receives callbacks at ${callbackUrl} — register that URL at the provider and remove callBackUrl or set it to it`,
      );
    }
    return authProvider({ ...p, ...p.oauth, callbackUrl });
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
