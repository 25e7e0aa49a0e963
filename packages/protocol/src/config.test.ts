import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configFromEnv, mergeConfig, parseConfigYaml, validateConfig } from './config.js';

describe('config', () => {
  test('embedded defaults', () => {
    const c = validateConfig({});
    assert.equal(c.domain, 'localhost');
    assert.equal(c.port, 8080);
    assert.deepEqual(c.database, { sqlite: {} });
    assert.equal(c.workspace.defaultImage, 'localhost/atelier-workspace:bookworm');
    assert.equal(c.workspace.resources.memory, 4 * 1024 ** 3);
    assert.equal(c.workspace.timeouts.inactivity, 30 * 60_000);
    assert.equal(c.workspace.timeouts.maxLifetime, 36 * 3_600_000);
  });

  test('environment overrides nest with double underscores and parse YAML scalars', () => {
    const env = configFromEnv({
      ATELIER_PORT: '9000',
      ATELIER_DATA_DIR: '/var/lib/atelier',
      ATELIER_DATABASE__MYSQL__HOST: 'db.internal',
      ATELIER_DATABASE__MYSQL__USERNAME: 'atelier',
      ATELIER_WORKSPACE__TIMEOUTS__INACTIVITY: '1h',
      ATELIER_UNRELATED: 'x',
      HOME: '/root',
    });
    assert.deepEqual(env, {
      port: 9000,
      dataDir: '/var/lib/atelier',
      database: { mysql: { host: 'db.internal', username: 'atelier' } },
      workspace: { timeouts: { inactivity: '1h' } },
    });
    const c = validateConfig(env);
    assert.equal(c.port, 9000);
    assert.deepEqual(c.database, {
      mysql: {
        host: 'db.internal',
        port: 3306,
        username: 'atelier',
        password: '',
        database: 'atelier',
        tls: false,
        connectionLimit: 10,
      },
    });
  });

  test('the file is overridden by the environment, arrays replaced', () => {
    const file = parseConfigYaml('port: 8081\nworkspace:\n  defaultImage: img:1\n', 'a.yaml');
    const merged = mergeConfig(file, { port: 8082 });
    const c = validateConfig(merged);
    assert.equal(c.port, 8082);
    assert.equal(c.workspace.defaultImage, 'img:1');
  });

  test('time-outs and the IDE have Gitpod’s defaults', () => {
    const c = validateConfig({});
    assert.equal(c.workspace.timeouts.afterClose, 2 * 60_000);
    assert.equal(c.workspace.timeouts.userMax, 24 * 3_600_000);
    assert.equal(c.workspace.timeouts.allowUserTimeouts, true);
    assert.deepEqual(c.ide, { default: 'code', codeServerVersion: '4.139.1' });
    assert.equal(
      validateConfig({ workspace: { timeouts: { afterClose: 0 } } }).workspace.timeouts.afterClose,
      0,
    );
  });

  test('auth providers in the installer’s shape: defaults, and each mistake named', () => {
    const ok = validateConfig({
      authProviders: [
        {
          id: 'Public-GitHub',
          host: 'github.com',
          type: 'GitHub',
          oauth: { clientId: 'c', clientSecret: 's' },
        },
        {
          id: 'fake',
          host: '127.0.0.1:9999',
          type: 'GitLab',
          scheme: 'http',
          oauth: { clientId: 'c', clientSecret: 's' },
        },
      ],
      blockNewUsers: { enabled: true, passlist: ['example.com'] },
    });
    assert.equal(ok.authProviders[0]?.scheme, 'https');
    assert.equal(ok.auth.localAccounts, true);
    assert.deepEqual(ok.blockNewUsers, { enabled: true, passlist: ['example.com'] });
    const problems = (input: unknown) => {
      try {
        validateConfig(input as never);
        return [];
      } catch (e) {
        return (e as { details?: string[] }).details ?? [];
      }
    };
    const oauth = { clientId: 'c', clientSecret: 's' };
    assert.deepEqual(
      problems({
        authProviders: [
          { id: 'a', host: 'git.example.com', type: 'GitLab', scheme: 'http', oauth },
          { id: 'a', host: 'sso.example.com', type: 'OIDC', oauth },
          { id: 'b', host: 'Git Hub', type: 'GitHub', oauth },
          { id: 'c', host: 'x.example.com', type: 'Gitea', oauth },
        ],
      }),
      [
        'authProviders.0.scheme: http is only for a provider on this machine’s loopback (git.example.com is not): use https'.replace(
          '’',
          "'",
        ),
        'authProviders.1.oauth.issuer: an OIDC provider needs oauth.issuer',
        'authProviders.2.host: must be a lower-case host name with an optional :port and /path, such as gitlab.example.com',
        'authProviders.3.type: Invalid option: expected one of "GitHub"|"GitLab"|"Bitbucket"|"BitbucketServer"|"AzureDevOps"|"OIDC"',
      ],
    );
  });

  test('two providers with one id or one host are refused', () => {
    const oauth = { clientId: 'c', clientSecret: 's' };
    assert.throws(
      () =>
        validateConfig({
          authProviders: [
            { id: 'gh', host: 'github.com', type: 'GitHub', oauth },
            { id: 'gh', host: 'github.com', type: 'GitHub', oauth },
          ],
        }),
      (e: { details?: string[] }) =>
        (e.details ?? []).includes(
          'authProviders.1.id: id gh is used by an earlier provider: each provider needs its own',
        ) &&
        (e.details ?? []).includes(
          'authProviders.1.host: host github.com is used by an earlier provider: each provider needs its own',
        ),
    );
  });

  test('an Azure DevOps provider names its Entra ID tenant by its issuer, or none', () => {
    const azure = (issuer?: string) => ({
      id: 'ado',
      host: 'dev.azure.com',
      type: 'AzureDevOps',
      oauth: { clientId: 'c', clientSecret: 's', ...(issuer ? { issuer } : {}) },
    });
    const cases: [string | undefined, boolean][] = [
      [undefined, true],
      ['https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', true],
      ['https://login.microsoftonline.us/contoso.onmicrosoft.com/v2.0/', true],
      ['http://127.0.0.1:9400/organizations/v2.0', true],
      ['https://login.microsoftonline.com/contoso', false],
      ['https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize', false],
      ['http://login.microsoftonline.com/contoso/v2.0', false],
    ];
    for (const [issuer, valid] of cases) {
      const run = () => validateConfig({ authProviders: [azure(issuer)] });
      if (valid) assert.doesNotThrow(run, String(issuer));
      else {
        assert.throws(
          run,
          (e: { details?: string[] }) =>
            e.details?.[0] ===
            "authProviders.0.oauth.issuer: an AzureDevOps provider's issuer is its Entra ID tenant's, https://login.microsoftonline.com/<tenant ID>/v2.0 — or leave it out to let any work or school account sign in",
          String(issuer),
        );
      }
    }
  });

  test('every problem is listed, with its path', () => {
    assert.throws(
      () =>
        validateConfig({
          domain: 'Not A Domain',
          port: 70000,
          nope: 1,
          workspace: { timeouts: { inactivity: '5 minutes' }, resources: { memory: 'lots' } },
        }),
      (e: Error & { details?: string[] }) => {
        const d = (e.details ?? []).join('\n');
        return (
          /has 5 problem/.test(e.message) &&
          /^domain: must be a lower-case DNS name/m.test(d) &&
          /^port: /m.test(d) &&
          /nope/.test(d) &&
          /^workspace\.timeouts\.inactivity: "5 minutes" is not a duration/m.test(d) &&
          /^workspace\.resources\.memory: "lots" is not a size/m.test(d)
        );
      },
    );
  });

  test('YAML syntax errors name the line and column', () => {
    assert.throws(
      () => parseConfigYaml('port: 8080\n  bad: [\n', 'broken.yaml'),
      (e: Error & { details?: string[] }) =>
        /broken\.yaml is not valid YAML/.test(e.message) &&
        /broken\.yaml:\d+:\d+:/.test((e.details ?? [])[0] ?? ''),
    );
  });

  describe('tls', () => {
    const acmeHttp = { email: 'admin@example.com', termsOfServiceAgreed: true, challenge: { http01: {} } };
    const rfc2136 = {
      server: '192.0.2.53:53',
      zone: 'example.com',
      keyName: 'atelier-acme',
      secret: 'c2VjcmV0IHNlY3JldCBzZWNyZXQ=',
    };
    const ok: [string, Record<string, unknown>, unknown][] = [
      ['defaults to none on loopback', {}, { mode: 'none' }],
      [
        'none on any address for a .localhost domain',
        { domain: 'dev.localhost', bindAddress: '0.0.0.0' },
        { mode: 'none' },
      ],
      [
        'local-ca with a redirect listener',
        { bindAddress: '0.0.0.0', tls: { mode: 'local-ca', httpPort: 80 } },
        { mode: 'local-ca', httpPort: 80 },
      ],
      [
        'files',
        {
          domain: 'a.example.com',
          bindAddress: '::',
          tls: { mode: 'files', files: { cert: 'c', key: 'k' } },
        },
        { mode: 'files', files: { cert: 'c', key: 'k' } },
      ],
      [
        'acme by http01, with the defaults',
        {
          domain: 'a.example.com',
          bindAddress: '0.0.0.0',
          tls: { mode: 'acme', httpPort: 80, acme: acmeHttp },
        },
        {
          mode: 'acme',
          httpPort: 80,
          acme: {
            ...acmeHttp,
            directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
            renewBeforeDays: 30,
            checkIntervalSeconds: 43_200,
          },
        },
      ],
      [
        'acme by dns01 rfc2136 (algorithm defaults to hmac-sha256), another CA',
        {
          tls: {
            mode: 'acme',
            acme: {
              ...acmeHttp,
              directoryUrl: 'https://127.0.0.1:14000/dir',
              caCertFile: '/etc/pebble.pem',
              challenge: { dns01: { rfc2136 } },
              renewBeforeDays: 10,
              checkIntervalSeconds: 60,
            },
          },
        },
        {
          mode: 'acme',
          acme: {
            ...acmeHttp,
            directoryUrl: 'https://127.0.0.1:14000/dir',
            caCertFile: '/etc/pebble.pem',
            challenge: { dns01: { rfc2136: { ...rfc2136, algorithm: 'hmac-sha256' } } },
            renewBeforeDays: 10,
            checkIntervalSeconds: 60,
          },
        },
      ],
      [
        'acme by dns01 exec',
        {
          tls: { mode: 'acme', acme: { ...acmeHttp, challenge: { dns01: { exec: { command: '/hook' } } } } },
        },
        {
          mode: 'acme',
          acme: {
            ...acmeHttp,
            challenge: { dns01: { exec: { command: '/hook' } } },
            directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
            renewBeforeDays: 30,
            checkIntervalSeconds: 43_200,
          },
        },
      ],
    ];
    for (const [name, input, expected] of ok)
      test(name, () => assert.deepEqual(validateConfig(input).tls, expected));

    const bad: [string, Record<string, unknown>, string][] = [
      [
        'none on a public address',
        { domain: 'a.example.com', bindAddress: '0.0.0.0' },
        'tls.mode: "none" serves sessions in clear text, so it needs a loopback bindAddress or a *.localhost domain (bindAddress is 0.0.0.0, domain is a.example.com): choose mode local-ca, files or acme',
      ],
      [
        'files without files',
        { tls: { mode: 'files' } },
        'tls.files: mode "files" needs files: { cert: <path to PEM>, key: <path to PEM> }',
      ],
      [
        'files in another mode',
        { tls: { mode: 'local-ca', files: { cert: 'c', key: 'k' } } },
        'tls.files: files are only read in mode "files" (mode is "local-ca"): remove them or set mode: files',
      ],
      [
        'a redirect without TLS',
        { tls: { httpPort: 80 } },
        'tls.httpPort: httpPort redirects http to https, so it needs TLS: remove it or choose mode local-ca, files or acme',
      ],
      [
        'a redirect on the https port',
        { port: 8443, tls: { mode: 'local-ca', httpPort: 8443 } },
        'tls.httpPort: httpPort must differ from port (both are 8443)',
      ],
      [
        'an unknown mode',
        { tls: { mode: 'certbot' } },
        'tls.mode: Invalid option: expected one of "none"|"files"|"local-ca"|"acme"',
      ],
      [
        'acme without acme',
        { tls: { mode: 'acme' } },
        'tls.acme: mode "acme" needs acme: { email: <address>, termsOfServiceAgreed: true, challenge: { http01: {} } } (or dns01 for the wildcards)',
      ],
      [
        'acme in another mode',
        { tls: { mode: 'local-ca', acme: acmeHttp } },
        'tls.acme: acme is only read in mode "acme" (mode is "local-ca"): remove it or set mode: acme',
      ],
      [
        'acme http01 without the http listener',
        { tls: { mode: 'acme', acme: acmeHttp } },
        'tls.httpPort: acme challenge http01 is answered by the plain-http listener: set httpPort (80, or the port that 80 is forwarded to)',
      ],
      [
        'acme terms not agreed',
        { tls: { mode: 'acme', httpPort: 80, acme: { ...acmeHttp, termsOfServiceAgreed: false } } },
        "tls.acme.termsOfServiceAgreed: must be true: you agree to the CA's terms of service (Let's Encrypt: https://letsencrypt.org/repository/)",
      ],
      [
        'acme without a challenge',
        { tls: { mode: 'acme', acme: { ...acmeHttp, challenge: {} } } },
        'tls.acme.challenge: choose http01: {}, dns01: {...} or both',
      ],
      [
        'acme dns01 with two providers',
        {
          tls: {
            mode: 'acme',
            acme: { ...acmeHttp, challenge: { dns01: { rfc2136, exec: { command: '/hook' } } } },
          },
        },
        'tls.acme.challenge.dns01: choose exactly one DNS-01 provider: rfc2136 or exec',
      ],
      [
        'acme dns01 with no provider',
        { tls: { mode: 'acme', acme: { ...acmeHttp, challenge: { dns01: {} } } } },
        'tls.acme.challenge.dns01: choose exactly one DNS-01 provider: rfc2136 or exec',
      ],
      [
        'acme rfc2136 server without a port',
        {
          tls: {
            mode: 'acme',
            acme: {
              ...acmeHttp,
              challenge: { dns01: { rfc2136: { ...rfc2136, server: 'ns1.example.com' } } },
            },
          },
        },
        'tls.acme.challenge.dns01.rfc2136.server: must be host:port, such as ns1.example.com:53 or [2001:db8::1]:53',
      ],
      [
        'acme rfc2136 secret not base64',
        {
          tls: {
            mode: 'acme',
            acme: {
              ...acmeHttp,
              challenge: { dns01: { rfc2136: { ...rfc2136, secret: 'not base64 at all!!' } } },
            },
          },
        },
        'tls.acme.challenge.dns01.rfc2136.secret: must be base64',
      ],
      [
        'acme rfc2136 unknown algorithm',
        {
          tls: {
            mode: 'acme',
            acme: { ...acmeHttp, challenge: { dns01: { rfc2136: { ...rfc2136, algorithm: 'hmac-md5' } } } },
          },
        },
        'tls.acme.challenge.dns01.rfc2136.algorithm: Invalid option: expected one of "hmac-sha256"|"hmac-sha512"',
      ],
    ];
    for (const [name, input, detail] of bad)
      test(name, () =>
        assert.throws(
          () => validateConfig(input),
          (e: Error & { details?: string[] }) => {
            assert.deepEqual(e.details, [detail]);
            return true;
          },
        ),
      );
  });
});
