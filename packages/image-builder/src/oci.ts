// A small client of the OCI distribution API (registry v2): enough to ask whether an image is there
// and to download a dev container feature. Basic and bearer-token auth, as registries answer 401.
import { createHash } from 'node:crypto';
import { AppError } from '@atelier/protocol';

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface ImageReference {
  /** host[:port] */
  registry: string;
  /** repository path, e.g. devcontainers/features/node */
  repository: string;
  /** tag or digest (sha256:...) */
  reference: string;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** Parses `host[:port]/path[:tag][@digest]`; a reference without a registry host is refused. */
export function parseImageReference(ref: string): ImageReference {
  const m =
    /^([a-z0-9.-]+(?::\d{1,5})?)\/([a-z0-9._/-]+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(
      ref,
    );
  const [, registry, repository, tag, digest] = m ?? [];
  if (
    !registry ||
    !repository ||
    !(registry.includes('.') || registry.includes(':') || registry === 'localhost')
  ) {
    throw new AppError(
      'invalid_argument',
      `'${ref}' is not an OCI reference: expected registry/path[:tag], such as ghcr.io/devcontainers/features/node:1`,
    );
  }
  return { registry, repository, reference: digest ?? tag ?? 'latest' };
}

/** Registries on this machine's loopback speak plain HTTP; every other registry HTTPS. */
function baseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const plain = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  return `${plain ? 'http' : 'https'}://${registry}`;
}

export interface Manifest {
  digest: string;
  mediaType: string;
  layers: { digest: string; mediaType: string; size: number }[];
}

export class RegistryClient {
  /** bearer tokens by registry and scope, for the requests after the first */
  private readonly tokens = new Map<string, string>();

  constructor(private readonly credentialsFor: (registry: string) => RegistryAuth | undefined) {}

  /** The manifest's digest when the registry has `ref`, undefined when it does not. */
  async exists(ref: ImageReference, signal?: AbortSignal): Promise<string | undefined> {
    const res = await this.request(ref, `manifests/${ref.reference}`, { method: 'HEAD', signal });
    if (res.status === 404) return undefined;
    if (!res.ok) throw this.failure(ref, res, 'look up');
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  async manifest(ref: ImageReference, signal?: AbortSignal): Promise<Manifest> {
    const res = await this.request(ref, `manifests/${ref.reference}`, { method: 'GET', signal });
    if (!res.ok) throw this.failure(ref, res, 'read the manifest of');
    const body = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (ref.reference.startsWith('sha256:') && digest !== ref.reference) {
      throw new AppError('failed_precondition', `${format(ref)}: the manifest does not match its digest`);
    }
    const parsed = JSON.parse(body.toString('utf8')) as Partial<Manifest> & { mediaType?: string };
    return {
      digest,
      mediaType: parsed.mediaType ?? res.headers.get('content-type') ?? '',
      layers: Array.isArray(parsed.layers) ? parsed.layers : [],
    };
  }

  /** The blob, checked against its digest. */
  async blob(ref: ImageReference, digest: string, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.request(ref, `blobs/${digest}`, { method: 'GET', signal });
    if (!res.ok) throw this.failure(ref, res, `download blob ${digest} of`);
    const body = Buffer.from(await res.arrayBuffer());
    const actual = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (actual !== digest) {
      throw new AppError(
        'failed_precondition',
        `${format(ref)}: blob ${digest} arrived with digest ${actual}`,
      );
    }
    return body;
  }

  private async request(
    ref: ImageReference,
    path: string,
    init: { method: string; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    const url = `${baseUrl(ref.registry)}/v2/${ref.repository}/${path}`;
    const key = `${ref.registry}/${ref.repository}`;
    const send = (authorization: string | undefined) =>
      fetch(url, {
        method: init.method,
        signal: init.signal ?? null,
        headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
      }).catch((e: unknown) => {
        throw new AppError(
          'unavailable',
          `cannot reach the registry ${ref.registry}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`,
        );
      });
    const cached = this.tokens.get(key);
    let res = await send(cached);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    const creds = this.credentialsFor(ref.registry);
    if (/^basic/i.test(challenge)) {
      if (!creds) return res;
      const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      this.tokens.set(key, basic);
      res = await send(basic);
    } else if (/^bearer/i.test(challenge)) {
      const token = await this.bearerToken(challenge, ref, creds, init.signal);
      this.tokens.set(key, `Bearer ${token}`);
      res = await send(`Bearer ${token}`);
    }
    return res;
  }

  /** The token service named by the challenge (anonymous when no credentials are configured). */
  private async bearerToken(
    challenge: string,
    ref: ImageReference,
    creds: RegistryAuth | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    if (!params.realm) throw new AppError('unavailable', `${ref.registry} asked for a token without a realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
    const res = await fetch(url, {
      signal: signal ?? null,
      headers: creds
        ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` }
        : {},
    });
    if (!res.ok) throw this.failure(ref, res, 'get a token for');
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new AppError('unavailable', `${ref.registry}'s token service answered without a token`);
    return token;
  }

  private failure(ref: ImageReference, res: Response, what: string): AppError {
    if (res.status === 401 || res.status === 403) {
      return new AppError(
        'permission_denied',
        `the registry refused to let Atelier ${what} ${format(ref)} (HTTP ${res.status}) — add credentials for ${ref.registry} to containerRegistry.pullCredentials`,
      );
    }
    if (res.status === 404) return new AppError('not_found', `${format(ref)} does not exist in the registry`);
    return new AppError(
      'unavailable',
      `the registry answered HTTP ${res.status} when asked to ${what} ${format(ref)}`,
    );
  }
}

export const format = (ref: ImageReference) =>
  `${ref.registry}/${ref.repository}${ref.reference.startsWith('sha256:') ? '@' : ':'}${ref.reference}`;
