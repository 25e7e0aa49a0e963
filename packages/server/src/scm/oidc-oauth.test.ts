// The OpenID Connect flavor against oauth2-mock-server on loopback: the authorize URL from the
// discovered endpoints (discovery kept for its TTL), the account from a validated ID token, and a
// discovery that fails naming the issuer's URL and what went wrong.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type AppError, isAppError } from '@atelier/protocol';
import { startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.js';
import { nonceOf, pkcePair } from './oauth.js';
import { DISCOVERY_TTL_MS, oidcFlavor } from './oidc-oauth.js';
import type { AuthProvider } from './providers.js';

const CALLBACK = 'http://localhost:8080/auth/callback';
const WELL_KNOWN = '/.well-known/openid-configuration';

const providerAt = (issuer: string): AuthProvider => ({
  id: 'corp-sso',
  host: new URL(issuer).host,
  type: 'OIDC',
  clientId: 'atelier',
  clientSecret: 'atelier-secret-0123456789',
  webOrigin: new URL(issuer).origin,
  callbackUrl: CALLBACK,
  issuer,
});

/** The error a promise is rejected with, which must be an AppError. */
async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => assert.fail('expected a refusal'),
    (err: unknown) => err,
  );
  assert.ok(isAppError(e), String(e));
  return e;
}

describe('the OIDC flavor with oauth2-mock-server', () => {
  let idp: TestOidcProvider;
  before(async () => {
    idp = await startOidcProvider();
  });
  after(() => idp?.close());

  test('the authorize URL is the discovered endpoint with state, PKCE S256, a nonce and OIDC scopes; discovery is kept for its TTL', async () => {
    let now = 1_000_000;
    const flavor = oidcFlavor({ now: () => now });
    const provider = providerAt(idp.issuer);
    const fetched = () => idp.requests.filter((p) => p === WELL_KNOWN).length;
    const before = fetched();
    const params = { state: 'st', challenge: 'ch', nonce: 'no', scopes: flavor.scopes(true) };
    const url = new URL(await flavor.authorizeUrl(provider, params));
    assert.equal(`${url.origin}${url.pathname}`, `${idp.issuer}/authorize`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: 'atelier',
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid profile email',
      state: 'st',
      nonce: 'no',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
    await flavor.authorizeUrl(provider, params);
    now += DISCOVERY_TTL_MS - 1;
    await flavor.authorizeUrl(provider, params);
    assert.equal(fetched() - before, 1, 'discovered once within the TTL');
    now += 2;
    await flavor.authorizeUrl(provider, params);
    assert.equal(fetched() - before, 2, 'discovered again after the TTL');
  });

  test('the account comes from the ID token, its signature checked with the JWKS; an unverified e-mail is dropped', async () => {
    const flavor = oidcFlavor();
    const provider = providerAt(idp.issuer);
    const rows: [
      Record<string, unknown>,
      { subject: string; login: string; email: string | null; name: string | null },
    ][] = [
      [
        {
          sub: 's-1',
          preferred_username: 'ada',
          email: 'ada@example.com',
          email_verified: true,
          name: 'Ada',
        },
        { subject: 's-1', login: 'ada', email: 'ada@example.com', name: 'Ada' },
      ],
      [
        { sub: 's-2', preferred_username: 'grace@contoso.com', email: 'grace@contoso.com' },
        { subject: 's-2', login: 'grace', email: 'grace@contoso.com', name: null },
      ],
      [
        { sub: 's-3', email: 'eve@example.com', email_verified: false },
        { subject: 's-3', login: 's-3', email: null, name: null },
      ],
      [
        { sub: 's-4', preferred_username: 'joan', email: 'joan@example.com', email_verified: 'false' },
        { subject: 's-4', login: 'joan', email: null, name: null },
      ],
    ];
    for (const [claims, expected] of rows) {
      idp.idTokenClaims = claims;
      const { verifier, challenge } = pkcePair();
      const nonce = nonceOf(verifier);
      const authorize = await flavor.authorizeUrl(provider, {
        state: 'st',
        challenge,
        nonce,
        scopes: flavor.scopes(false),
      });
      const back = await fetch(authorize, { redirect: 'manual' });
      const code = new URL(back.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const { account, accessToken } = await flavor.exchange(provider, code, verifier, nonce);
      assert.deepEqual(account, expected, JSON.stringify(claims));
      assert.ok(accessToken);
    }
    assert.ok(idp.requests.includes('/jwks'), 'the signature was checked against the JWKS');
  });

  test('a failed discovery names the issuer’s discovery URL, what went wrong and what to check', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const flavor = oidcFlavor();
    const params = { state: 's', challenge: 'c', nonce: 'n', scopes: ['openid'] };

    const unreachable = await refusal(
      Promise.resolve(flavor.authorizeUrl(providerAt(`http://127.0.0.1:${port}`), params)),
    );
    assert.equal(unreachable.code, 'unavailable');
    assert.match(unreachable.message, new RegExp(`at http://127.0.0.1:${port}${WELL_KNOWN}: .*ECONNREFUSED`));
    assert.match(unreachable.message, /check that oauth.issuer is the issuer URL/);

    const missing = await refusal(
      Promise.resolve(flavor.authorizeUrl(providerAt(`${idp.issuer}/realms/nope`), params)),
    );
    assert.match(missing.message, new RegExp(`at ${idp.issuer}/realms/nope${WELL_KNOWN}: .*HTTP 404`));

    idp.service.issuer.url = `${idp.issuer}/realms/other`;
    const mismatch = await refusal(
      Promise.resolve(flavor.authorizeUrl(providerAt(idp.issuer), params)),
    ).finally(() => {
      idp.service.issuer.url = idp.issuer;
    });
    assert.match(mismatch.message, new RegExp(`the provider names itself ${idp.issuer}/realms/other`));

    const plain = await refusal(
      Promise.resolve(flavor.authorizeUrl(providerAt('http://sso.example.com'), params)),
    );
    assert.equal(plain.code, 'failed_precondition');
    assert.match(plain.message, /has the issuer http:\/\/sso.example.com: use its https URL/);
  });
});
