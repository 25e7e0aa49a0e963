// The one configuration schema of Atelier: embedded defaults, a YAML file, then ATELIER_* variables.
import { LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { authProviderConfigSchema } from './auth-provider-config.js';
import { AppError, formatIssues } from './errors.js';
import { bytesSchema, cpuSchema, durationSchema } from './units.js';

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
    message: 'must be a lower-case DNS name such as atelier.example.com or localhost',
  });

const sqliteSchema = z.strictObject({ path: z.string().min(1).optional() });
const mysqlSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(3306),
  username: z.string().min(1),
  password: z.string().default(''),
  database: z.string().min(1).default('atelier'),
  tls: z
    .union([
      z.boolean(),
      z.strictObject({ ca: z.string().optional(), rejectUnauthorized: z.boolean().default(true) }),
    ])
    .default(false),
  connectionLimit: z.number().int().min(1).max(1000).default(10),
});
const databaseSchema = z.union(
  [z.strictObject({ sqlite: sqliteSchema }), z.strictObject({ mysql: mysqlSchema })],
  { error: 'choose exactly one of database.sqlite or database.mysql' },
);

const objectStorageSchema = z.union(
  [z.strictObject({ fs: z.strictObject({ path: z.string().min(1).optional() }) })],
  {
    error: 'choose objectStorage.fs (cloud stores come in a later release)',
  },
);

const dockerRuntimeSchema = z.strictObject({
  /** unix socket path or tcp://host:port; default: DOCKER_HOST, then the Docker and Podman sockets */
  socket: z.string().min(1).optional(),
  /** address on which workspace supervisor ports are published (the proxy connects there) */
  publishAddress: z.string().default('127.0.0.1'),
  /** container network mode, e.g. `slirp4netns:allow_host_loopback=true` (Podman) */
  network: z.string().min(1).optional(),
  /**
   * address at which workspaces reach the host's loopback (10.0.2.2 with slirp4netns and
   * allow_host_loopback); repository URLs on localhost are rewritten to it for the clone
   */
  hostLoopback: z.string().min(1).optional(),
  /**
   * how /workspace is archived and restored: `auto` runs tar on this machine, on the volume's folder,
   * when the engine keeps its volumes here and atelier runs as root (as Gitpod's ws-daemon does on
   * its node; several times faster); `engine` always streams through the engine API
   */
  contentAccess: z.enum(['auto', 'engine']).default('auto'),
});

const workspaceSchema = z.strictObject({
  runtime: z.strictObject({ docker: dockerRuntimeSchema }).prefault({ docker: {} }),
  defaultImage: z.string().min(1).default('localhost/atelier-workspace:bookworm'),
  resources: z.strictObject({ cpu: cpuSchema.prefault(2), memory: bytesSchema.prefault('4Gi') }).prefault({}),
  timeouts: z
    .strictObject({
      /** time a start may take until running */
      startup: durationSchema.prefault('1h'),
      /**
       * running without activity (heartbeats from the IDE and the terminal page on user input, SSH
       * traffic, gp); a user or workspace may choose another (gp timeout set) within userMax
       */
      inactivity: durationSchema.prefault('30m'),
      /** after the IDE's last browser tab went away without activity since; 0 turns this off */
      afterClose: z.union([z.literal(0), durationSchema]).prefault('2m'),
      /** from the start of running, whatever the activity */
      maxLifetime: durationSchema.prefault('36h'),
      /** false: users keep the installation's inactivity time-out (Gitpod's denyUserTimeouts) */
      allowUserTimeouts: z.boolean().default(true),
      /** the longest inactivity time-out a user may choose */
      userMax: durationSchema.prefault('24h'),
      /** how long the content backup of a stop may take */
      backup: durationSchema.prefault('1h'),
      /** grace given to workspace processes on stop before they are killed */
      stopGrace: durationSchema.prefault('10s'),
    })
    .prefault({}),
  /**
   * the URL at which workspaces (the supervisor, gp) reach the API, e.g. the server's service in a
   * cluster; default: the public URL, reached through runtime.docker.hostLoopback when the domain
   * is this machine's (localhost)
   */
  serverUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** allow file:// repository URLs (host paths, mounted read-only); admins only */
  allowLocalRepositories: z.boolean().default(true),
});

const ideSchema = z.strictObject({
  /**
   * what a user opens a workspace in until they choose in their preferences: code (VS Code in the
   * browser), terminal (the built-in terminal page), vscode-desktop or jetbrains (over SSH)
   */
  default: z.enum(['code', 'terminal', 'vscode-desktop', 'jetbrains']).default('code'),
  /**
   * where code-server and the Node it needs are installed once, then mounted read-only into
   * workspaces; default <dataDir>/ide. Several installations on one machine may share it.
   */
  installDir: z.string().min(1).optional(),
  codeServerVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, { message: 'must be a code-server version such as 4.139.1' })
    .default('4.139.1'),
  /**
   * an Open VSX compatible gallery (e.g. a mirror: https://open-vsx.example.com/vscode/gallery) from
   * which `vscode.extensions` ids are installed; absent: only .vsix files in the repository
   */
  openVsxUrl: z.url({ protocol: /^https?$/ }).optional(),
});
export type IdeConfig = z.output<typeof ideSchema>;

const registryCredentialsSchema = z.strictObject({ username: z.string().min(1), password: z.string() });
/** `host[:port]`, optionally followed by a path: 127.0.0.1:5000/atelier, registry.example.com/team */
const registryUrl = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:\d{1,5})?(\/[a-z0-9._-]+)*$/,
    'must be a registry host[:port] with an optional path, such as registry.example.com/atelier (no scheme)',
  );

const containerRegistrySchema = z.strictObject({
  /** where built workspace images are pushed and pulled from; absent: the engine's local image store */
  external: z
    .strictObject({ url: registryUrl, credentials: registryCredentialsSchema.optional() })
    .optional(),
  /** credentials for pulling named images (`image:` in .gitpod.yml) and OCI features from other registries */
  pullCredentials: z
    .array(z.strictObject({ registry: registryUrl, ...registryCredentialsSchema.shape }))
    .default([]),
});

const imageBuilderSchema = z.strictObject({
  /** builds running at once on this installation; one repository builds one image at a time */
  maxConcurrent: z.number().int().min(1).max(64).default(2),
  /** a build that takes longer fails the start (its log is kept) */
  timeout: durationSchema.prefault('30m'),
});

const base64 = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, { message: 'must be base64' })
  .min(16, { message: 'must be base64 of at least 12 bytes (tsig-keygen makes 32)' });

const rfc2136Schema = z.strictObject({
  /** the primary authoritative server that takes updates, as host:port (`[2001:db8::1]:53` for IPv6) */
  server: z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
    message: 'must be host:port, such as ns1.example.com:53 or [2001:db8::1]:53',
  }),
  /** the zone the records are written in, e.g. example.com for atelier.example.com */
  zone: hostname,
  /** the TSIG key's name as the server knows it (`key "<keyName>" { ... }` in BIND) */
  keyName: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,253}$/, { message: 'must be a DNS name such as atelier-acme' }),
  algorithm: z.enum(['hmac-sha256', 'hmac-sha512']).default('hmac-sha256'),
  /** the TSIG secret, base64 (never logged) */
  secret: base64,
});

const dns01Schema = z
  .strictObject({
    /** RFC 2136 dynamic updates signed with TSIG (BIND, Knot, PowerDNS, ...) */
    rfc2136: rfc2136Schema.optional(),
    /**
     * any other DNS service: `<command> present|cleanup <fqdn> <value>`, exit 0 once the TXT record
     * is visible (present) or gone (cleanup)
     */
    exec: z.strictObject({ command: z.string().min(1) }).optional(),
  })
  .refine((d) => (d.rfc2136 ? 1 : 0) + (d.exec ? 1 : 0) === 1, {
    message: 'choose exactly one DNS-01 provider: rfc2136 or exec',
  });

const acmeSchema = z.strictObject({
  /** the CA's ACME directory; Let's Encrypt staging: https://acme-staging-v02.api.letsencrypt.org/directory */
  directoryUrl: z.url({ protocol: /^https?$/ }).default('https://acme-v02.api.letsencrypt.org/directory'),
  /** the account's contact: the CA writes here about expiry and problems */
  email: z.email({ message: 'must be an email address, the CA writes there about problems' }),
  termsOfServiceAgreed: z.literal(true, {
    message:
      "must be true: you agree to the CA's terms of service (Let's Encrypt: https://letsencrypt.org/repository/)",
  }),
  /** a PEM CA to trust for the directory's own https, for a private ACME server such as Pebble */
  caCertFile: z.string().min(1).optional(),
  /**
   * how the CA checks that the names are ours. `http01`: on tls.httpPort (the CA asks port 80, so
   * 80 or a forward to it), for <domain> only; `dns01`: TXT records, needed for the wildcards
   * *.<domain> and *.ws.<domain> (every workspace host). Without dns01 the certificate names
   * <domain> only and Atelier warns at start that workspace hosts have no valid certificate (a
   * warning, not an error, so the dashboard can be tried before DNS updates are set up).
   * With dns01 every name is checked by DNS-01.
   */
  challenge: z
    .strictObject({ http01: z.strictObject({}).optional(), dns01: dns01Schema.optional() })
    .refine((c) => c.http01 || c.dns01, { message: 'choose http01: {}, dns01: {...} or both' }),
  /** renew this long before the certificate ends (at most a third of its lifetime) */
  renewBeforeDays: z.number().min(1).max(90).default(30),
  /** how often the certificate's end is checked; failed orders are retried sooner, with backoff */
  checkIntervalSeconds: z.number().int().min(1).max(86_400).default(43_200),
});
export type AcmeConfig = z.output<typeof acmeSchema>;

const tlsSchema = z.strictObject({
  /**
   * `none`: plain http, only for a loopback bind address or a *.localhost domain (cookies and
   * owner tokens would otherwise cross the network in clear); `files`: your certificate and key,
   * reloaded when they change; `local-ca`: a CA made on first start in <dataDir>/tls signs a
   * certificate for <domain>, *.<domain> and *.ws.<domain>; `acme`: certificates from an ACME CA
   * (Let's Encrypt), kept in <dataDir>/tls/acme and renewed without a restart
   */
  mode: z.enum(['none', 'files', 'local-ca', 'acme']).default('none'),
  /** PEM files for mode `files`; the certificate file may hold the chain after the leaf */
  files: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  /** the CA, account and challenges for mode `acme` */
  acme: acmeSchema.optional(),
  /** a plain-http listener that redirects to https (80 in production); absent: none */
  httpPort: z.number().int().min(1).max(65535).optional(),
});
export type TlsConfig = z.output<typeof tlsSchema>;

/** A loopback address, or a name that only ever resolves to this machine. */
export function isLocalOnly(domain: string, bindAddress: string): boolean {
  const loopback = /^127\.\d+\.\d+\.\d+$/.test(bindAddress) || bindAddress === '::1';
  return loopback || domain === 'localhost' || domain.endsWith('.localhost');
}

export { type AuthProviderConfig, authProviderConfigSchema } from './auth-provider-config.js';

const sshSchema = z.strictObject({
  /** the SSH gateway into workspaces (user `<wsid>#<owner token>`, the token as password, or a key) */
  enabled: z.boolean().default(true),
  /** 22 behind a cluster's load balancer; 2222 on one machine, where sshd may hold 22 */
  port: z.number().int().min(1).max(65535).default(2222),
  /** default: the top-level bindAddress */
  bindAddress: z.string().min(1).optional(),
  /**
   * private host key files (OpenSSH or PEM), e.g. from a Kubernetes secret so that every replica
   * answers with the same keys; absent: keys made once in <dataDir>/ssh and kept
   */
  hostKeyFiles: z.array(z.string().min(1)).min(1).optional(),
  /** the host and port users connect to, when a load balancer changes them; default: domain and port */
  publicHost: hostname.optional(),
  publicPort: z.number().int().min(1).max(65535).optional(),
});
export type SshConfig = z.output<typeof sshSchema>;

export const configSchema = z
  .strictObject({
    domain: hostname.default('localhost'),
    port: z.number().int().min(1).max(65535).default(8080),
    bindAddress: z.string().min(1).default('127.0.0.1'),
    /** where the embedded defaults keep their data; relative paths are from the working directory */
    dataDir: z.string().min(1).default('.atelier'),
    database: databaseSchema.prefault({ sqlite: {} }),
    objectStorage: objectStorageSchema.prefault({ fs: {} }),
    workspace: workspaceSchema.prefault({}),
    containerRegistry: containerRegistrySchema.prefault({}),
    imageBuilder: imageBuilderSchema.prefault({}),
    ide: ideSchema.prefault({}),
    auth: z
      .strictObject({
        /** key ring for secrets at rest: id -> base64 of 32 bytes; the first is used to encrypt */
        encryptionKeys: z
          .array(z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,32}$/), key: z.string() }))
          .optional(),
        sessionMaxAge: durationSchema.prefault('168h'),
        /** false: only sign-in through authProviders (the setup's admin account keeps working) */
        localAccounts: z.boolean().default(true),
      })
      .prefault({}),
    authProviders: z.array(authProviderConfigSchema).default([]),
    /** new users may not sign up, except with an e-mail address of these domains */
    blockNewUsers: z
      .strictObject({
        enabled: z.boolean().default(false),
        passlist: z.array(hostname).default([]),
      })
      .prefault({}),
    tls: tlsSchema.prefault({}),
    ssh: sshSchema.prefault({}),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    for (const key of ['id', 'host'] as const) {
      const seen = new Set<string>();
      c.authProviders.forEach((p, i) => {
        if (seen.has(p[key])) {
          ctx.addIssue({
            code: 'custom',
            path: ['authProviders', i, key],
            message: `${key} ${p[key]} is used by an earlier provider: each provider needs its own`,
          });
        }
        seen.add(p[key]);
      });
    }
    const { tls } = c;
    if (tls.mode === 'files' && !tls.files)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'files'],
        message: 'mode "files" needs files: { cert: <path to PEM>, key: <path to PEM> }',
      });
    if (tls.mode !== 'files' && tls.files)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'files'],
        message: `files are only read in mode "files" (mode is "${tls.mode}"): remove them or set mode: files`,
      });
    if (tls.mode === 'acme' && !tls.acme)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'acme'],
        message:
          'mode "acme" needs acme: { email: <address>, termsOfServiceAgreed: true, challenge: { http01: {} } } (or dns01 for the wildcards)',
      });
    if (tls.mode !== 'acme' && tls.acme)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'acme'],
        message: `acme is only read in mode "acme" (mode is "${tls.mode}"): remove it or set mode: acme`,
      });
    if (tls.mode === 'acme' && tls.acme?.challenge.http01 && tls.httpPort === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'httpPort'],
        message:
          'acme challenge http01 is answered by the plain-http listener: set httpPort (80, or the port that 80 is forwarded to)',
      });
    if (tls.mode === 'none' && !isLocalOnly(c.domain, c.bindAddress))
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'mode'],
        message: `"none" serves sessions in clear text, so it needs a loopback bindAddress or a *.localhost domain (bindAddress is ${c.bindAddress}, domain is ${c.domain}): choose mode local-ca, files or acme`,
      });
    if (tls.mode === 'none' && tls.httpPort !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'httpPort'],
        message:
          'httpPort redirects http to https, so it needs TLS: remove it or choose mode local-ca, files or acme',
      });
    if (tls.httpPort !== undefined && tls.httpPort === c.port)
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'httpPort'],
        message: `httpPort must differ from port (both are ${c.port})`,
      });
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type DatabaseConfig = Config['database'];
export type MysqlConfig = z.output<typeof mysqlSchema>;
export type ContainerRegistryConfig = z.output<typeof containerRegistrySchema>;
export type RegistryCredentials = z.output<typeof registryCredentialsSchema>;

const ENV_PREFIX = 'ATELIER_';

/** camelCase key path from an env name segment: DATA_DIR -> dataDir. */
function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Environment overrides: `ATELIER_PORT=9000`, `ATELIER_DATA_DIR=/var/lib/atelier`,
 * `ATELIER_DATABASE__MYSQL__HOST=db` (double underscore nests). Values are YAML scalars.
 */
export function configFromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camel);
    if (path.some((p) => p === '') || !isConfigPath(path)) continue;
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1) as string] = parseYaml(value) ?? value;
  }
  return out;
}

const TOP_LEVEL = new Set(Object.keys(configSchema.shape));
const isConfigPath = (path: string[]) => TOP_LEVEL.has(path[0] ?? '');

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where `over` wins; arrays are replaced, not merged. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeConfig(base[k], v);
  return out;
}

/** Parses config YAML text; syntax errors name the line and column. */
export function parseConfigYaml(text: string, fileName: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length) {
    throw new AppError(
      'invalid_argument',
      `${fileName} is not valid YAML`,
      doc.errors.map(
        (e) =>
          `${fileName}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`,
      ),
    );
  }
  return doc.toJS() ?? {};
}

/** Validates merged input; an invalid config is one AppError listing every problem. */
export function validateConfig(input: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const details = formatIssues(result.error.issues);
    throw new AppError('invalid_argument', `${source} has ${details.length} problem(s)`, details);
  }
  return result.data;
}
