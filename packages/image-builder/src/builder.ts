// The image builder on a Docker Engine API (Docker, or Podman's compatible service): a named image
// is used as it is; a Dockerfile and features are built once per content hash, pushed to the
// registry when one is configured, and found there (or in the engine's store) the next time.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppError,
  type ContainerRegistryConfig,
  type EngineRegistryAuth,
  type ImageHooks,
  type ImageRequest,
  type ImageResolver,
  type RegistryCredentials,
  type ResolvedImage,
} from '@atelier/protocol';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { featuresDockerfile, type ResolvedFeature, resolveFeature } from './features.js';
import { KeyedLock, Semaphore } from './limits.js';
import { parseImageReference, RegistryClient } from './oci.js';
import { repoPath, SourceCheckout } from './source.js';
import { packFolder } from './tar.js';

/** Bumped when the way images are built changes, so that older cache entries are not used. */
const BUILD_FORMAT = 1;
/** Local name of built images when no registry is configured. */
export const LOCAL_REPOSITORY = 'localhost/atelier-workspace-images';

export interface EngineImageBuilderOptions {
  docker: Docker;
  defaultImage: string;
  registry: ContainerRegistryConfig;
  maxConcurrent: number;
  /** a build (with its push) that takes longer fails */
  timeoutMs: number;
  logger: Logger;
}

interface BuildPlan {
  hash: string;
  tag: string;
  /** the Dockerfile build, when the config names one */
  dockerfile?: { file: string; context: string; args: Record<string, string>; target?: string | undefined };
  /** the image the features go on when there is no Dockerfile */
  base?: string;
  features: ResolvedFeature[];
}

/** Canonical JSON: keys sorted, so equal inputs hash equally whatever order they were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function contentHash(input: unknown): string {
  return createHash('sha256')
    .update(canonical({ format: BUILD_FORMAT, input }))
    .digest('hex');
}

interface BuildEvent {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

export class EngineImageBuilder implements ImageResolver {
  private readonly slots: Semaphore;
  private readonly repositories = new KeyedLock();
  private readonly registryClient: RegistryClient;

  constructor(private readonly opts: EngineImageBuilderOptions) {
    this.slots = new Semaphore(opts.maxConcurrent);
    this.registryClient = new RegistryClient((registry) => this.credentials(registry));
  }

  async resolve(request: ImageRequest, hooks: ImageHooks): Promise<ResolvedImage> {
    const { image, features } = request;
    if (features.length === 0 && image.kind === 'default')
      return { ref: this.opts.defaultImage, built: false };
    if (features.length === 0 && image.kind === 'ref') return { ref: image.ref, built: false };
    // one build per repository at a time: a second start waits, then finds the first one's image
    return this.repositories.run(request.cloneUrl, () => this.resolveBuilt(request, hooks), hooks.signal);
  }

  pullAuth(image: string): EngineRegistryAuth | undefined {
    let registry: string;
    try {
      registry = parseImageReference(image).registry;
    } catch {
      return undefined; // a short name (docker.io) or a local image: nothing configured for it
    }
    const creds = this.credentials(registry);
    return creds && { username: creds.username, password: creds.password, serveraddress: registry };
  }

  /** Credentials for a registry host[:port]: the external registry's, then the pull list's. */
  private credentials(registry: string): RegistryCredentials | undefined {
    const { external, pullCredentials } = this.opts.registry;
    if (external?.credentials && hostOf(external.url) === registry) return external.credentials;
    return pullCredentials.find((c) => hostOf(c.registry) === registry);
  }

  private async resolveBuilt(request: ImageRequest, hooks: ImageHooks): Promise<ResolvedImage> {
    const at = request.revision ? request.revision.slice(0, 12) : (request.ref ?? 'the default branch');
    hooks.log(`reading ${request.cloneUrl} at ${at}\n`);
    const source = await SourceCheckout.fetch(request, { treesOnly: true });
    let files: SourceCheckout | undefined;
    try {
      const plan = await this.plan(request, source, hooks.signal);
      if (request.forceBuild) {
        hooks.log(
          `building again although ${plan.tag} may be cached: the workspace was opened with imagebuild/\n`,
        );
      } else if (await this.isCached(plan.tag, hooks.signal)) {
        hooks.log(
          `using the cached image ${plan.tag}: nothing changed since it was built (content hash ${plan.hash.slice(0, 12)})\n`,
        );
        return { ref: plan.tag, built: false, hash: plan.hash };
      }
      await hooks.building();
      if (this.slots.full)
        hooks.log(`waiting for a build slot (${this.opts.maxConcurrent} builds at most run at once)\n`);
      const release = await this.slots.acquire(hooks.signal);
      const timeout = AbortSignal.timeout(this.opts.timeoutMs);
      const signal = AbortSignal.any([hooks.signal, timeout]);
      try {
        const started = Date.now();
        hooks.log(`building ${plan.tag} (content hash ${plan.hash.slice(0, 12)})\n`);
        // the files now, of the very commit that was hashed
        files = await SourceCheckout.fetch({
          cloneUrl: request.cloneUrl,
          revision: source.commit,
          credentials: request.credentials,
        });
        await this.build(request, plan, files, hooks, signal);
        if (this.opts.registry.external) await this.push(plan.tag, hooks, signal);
        hooks.log(`image ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      } catch (e) {
        if (timeout.aborted) {
          throw new AppError(
            'failed_precondition',
            `the image build took longer than ${this.opts.timeoutMs / 1000} s and was stopped — make it faster or raise imageBuilder.timeout`,
          );
        }
        throw e;
      } finally {
        release();
      }
      return { ref: plan.tag, built: true, hash: plan.hash };
    } finally {
      await source.dispose();
      await files?.dispose();
    }
  }

  private async plan(request: ImageRequest, source: SourceCheckout, signal: AbortSignal): Promise<BuildPlan> {
    const { image } = request;
    const short = source.commit.slice(0, 12);
    const features = [];
    for (const feature of request.features)
      features.push(await resolveFeature(feature, source, this.registryClient, signal));
    const featureInputs = features.map((f) => ({ content: f.contentId, options: f.options }));
    let plan: Omit<BuildPlan, 'tag'>;
    if (image.kind === 'dockerfile') {
      const file = repoPath(image.file, 'the Dockerfile');
      const context = repoPath(image.context, 'the build context');
      const fileId = await source.objectId(file, 'blob');
      if (!fileId) {
        throw new AppError(
          'failed_precondition',
          `the Dockerfile ${file} is not in the repository at commit ${short}`,
        );
      }
      const contextId = await source.objectId(context, 'tree');
      if (!contextId) {
        throw new AppError(
          'failed_precondition',
          `the build context ${context || '.'} is not a folder of the repository at commit ${short}`,
        );
      }
      const dockerfile = { file, context, args: image.args, target: image.target };
      plan = {
        hash: contentHash({
          dockerfile: fileId,
          context: contextId,
          args: image.args,
          target: image.target,
          features: featureInputs,
          remoteUser: request.remoteUser,
        }),
        dockerfile,
        features,
      };
    } else {
      const base = image.kind === 'ref' ? image.ref : this.opts.defaultImage;
      plan = {
        hash: contentHash({ base, features: featureInputs, remoteUser: request.remoteUser }),
        base,
        features,
      };
    }
    const external = this.opts.registry.external;
    const repository = external ? `${external.url}/workspace-images` : LOCAL_REPOSITORY;
    return { ...plan, tag: `${repository}:${plan.hash}` };
  }

  /** Whether the image is there already: in the registry when one is configured, else in the engine. */
  private async isCached(tag: string, signal: AbortSignal): Promise<boolean> {
    if (this.opts.registry.external)
      return (await this.registryClient.exists(parseImageReference(tag), signal)) !== undefined;
    return (await this.inspect(tag)) !== undefined;
  }

  private async inspect(image: string): Promise<{ user: string } | undefined> {
    try {
      const info = await this.opts.docker.getImage(image).inspect();
      return { user: info.Config?.User || 'root' };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  private async build(
    request: ImageRequest,
    plan: BuildPlan,
    source: SourceCheckout,
    hooks: ImageHooks,
    signal: AbortSignal,
  ): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'atelier-build-'));
    // a folder name no repository uses, for what Atelier adds to the context
    const own = `.atelier-build-${plan.hash.slice(0, 8)}`;
    try {
      let base = plan.base;
      if (plan.dockerfile) {
        const { file, context, args, target } = plan.dockerfile;
        const ctx = join(dir, 'context');
        await mkdir(join(ctx, own), { recursive: true });
        await source.extract(context, ctx);
        await writeFile(join(ctx, own, 'Dockerfile'), await source.read(file));
        hooks.log(`building ${file} with context ${context || '.'}\n`);
        const tag = plan.features.length > 0 ? `${LOCAL_REPOSITORY}:${plan.hash}-base` : plan.tag;
        await this.engineBuild(
          ctx,
          { t: tag, dockerfile: `${own}/Dockerfile`, buildargs: args, target },
          hooks,
          signal,
        );
        base = tag;
      } else if (base) {
        await this.ensurePulled(base, hooks, signal);
      }
      if (plan.features.length > 0 && base) {
        const info = await this.inspect(base);
        const ctx = join(dir, 'features');
        await mkdir(join(ctx, own), { recursive: true });
        const dockerfile = await featuresDockerfile({
          buildDir: ctx,
          folder: own,
          base,
          user: info?.user ?? 'root',
          remoteUser: request.remoteUser,
          features: plan.features,
          files: source,
          signal,
        });
        await writeFile(join(ctx, own, 'Dockerfile'), dockerfile);
        hooks.log(
          `installing ${plan.features.length} feature(s): ${plan.features.map((f) => f.label).join(', ')}\n`,
        );
        await this.engineBuild(
          ctx,
          { t: plan.tag, dockerfile: `${own}/Dockerfile`, buildargs: {} },
          hooks,
          signal,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async engineBuild(
    contextDir: string,
    opts: {
      t: string;
      dockerfile: string;
      buildargs: Record<string, string>;
      target?: string | undefined;
    },
    hooks: ImageHooks,
    signal: AbortSignal,
  ): Promise<void> {
    const registryconfig = Object.fromEntries(
      this.opts.registry.pullCredentials.map((c) => [
        hostOf(c.registry),
        { username: c.username, password: c.password },
      ]),
    );
    const stream = await this.opts.docker.buildImage(packFolder(contextDir), {
      t: opts.t,
      dockerfile: opts.dockerfile,
      buildargs: opts.buildargs,
      ...(opts.target ? { target: opts.target } : {}),
      rm: true,
      forcerm: true,
      registryconfig,
      abortSignal: signal,
    });
    await this.follow(stream, hooks, signal, 'the image build failed');
  }

  private async ensurePulled(image: string, hooks: ImageHooks, signal: AbortSignal): Promise<void> {
    if (await this.inspect(image)) return;
    hooks.log(`pulling ${image}\n`);
    const auth = this.pullAuth(image);
    const stream = await this.opts.docker.pull(image, {
      ...(auth ? { authconfig: auth } : {}),
      abortSignal: signal,
    });
    await this.follow(stream, hooks, signal, `pulling ${image} failed`);
  }

  private async push(tag: string, hooks: ImageHooks, signal: AbortSignal): Promise<void> {
    hooks.log(`pushing ${tag}\n`);
    const auth = this.pullAuth(tag);
    const stream = await this.opts.docker
      .getImage(tag)
      .push({ ...(auth ? { authconfig: auth } : {}), abortSignal: signal });
    await this.follow(stream, hooks, signal, `pushing ${tag} to the registry failed`);
  }

  /** Relays the engine's progress to the log; its error events (which followProgress does not treat as errors) fail. */
  private follow(
    stream: NodeJS.ReadableStream,
    hooks: ImageHooks,
    signal: AbortSignal,
    failure: string,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let failed: string | undefined;
      const onAbort = () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      signal.addEventListener('abort', onAbort, { once: true });
      this.opts.docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) reject(signal.reason ?? new Error('aborted'));
          else if (err || failed) {
            reject(
              new AppError('failed_precondition', `${failure}: ${(failed ?? err?.message ?? '').trim()}`),
            );
          } else resolve();
        },
        (ev: BuildEvent) => {
          const error = ev.error ?? ev.errorDetail?.message;
          if (error) {
            failed ??= error;
            hooks.log(`${error.trimEnd()}\n`);
          } else if (ev.stream) hooks.log(ev.stream);
          else if (ev.status) hooks.log(`${ev.status}${ev.progress ? ` ${ev.progress}` : ''}\n`);
        },
      );
    });
  }
}

const hostOf = (url: string) => url.split('/')[0] ?? url;
