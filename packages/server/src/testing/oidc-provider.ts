// A real OpenID Connect provider for tests: oauth2-mock-server (discovery, authorize, token, JWKS,
// userinfo) on loopback with a random port, the paths it was asked for recorded, every token it
// issued kept (to look for leaks), and the claims of its next ID tokens settable.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MutableResponse, type MutableToken, OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

export interface TestOidcProvider {
  /** http://127.0.0.1:<port> */
  issuer: string;
  /** 127.0.0.1:<port> */
  host: string;
  service: OAuth2Service;
  /** the path of every request, in order (/.well-known/openid-configuration, /jwks, /token…) */
  requests: string[];
  /** every access, ID and refresh token the token endpoint answered with */
  issued: string[];
  /** merged into each ID token's claims before it is signed (sub, email, aud, nonce…) */
  idTokenClaims: Record<string, unknown>;
  close(): Promise<void>;
}

/** An ID token, not an access token: the mock puts a scope into access tokens only. */
const isIdToken = (token: MutableToken) => !('scope' in token.payload);

export async function startOidcProvider(): Promise<TestOidcProvider> {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);
  const requests: string[] = [];
  const issued: string[] = [];
  const server = createServer((req, res) => {
    requests.push(new URL(req.url ?? '/', 'http://x').pathname);
    service.requestHandler(req, res);
  });
  const provider: TestOidcProvider = {
    issuer: '',
    host: '',
    service,
    requests,
    issued,
    idTokenClaims: {},
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  service.on('beforeTokenSigning', (token: MutableToken) => {
    if (isIdToken(token)) Object.assign(token.payload, provider.idTokenClaims);
  });
  service.on('beforeResponse', (response: MutableResponse) => {
    if (response.body === '') return;
    for (const field of ['access_token', 'id_token', 'refresh_token']) {
      const value = response.body[field];
      if (typeof value === 'string') issued.push(value);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  provider.host = `127.0.0.1:${port}`;
  provider.issuer = `http://${provider.host}`;
  issuer.url = provider.issuer;
  return provider;
}
