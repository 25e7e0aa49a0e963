// Dev container features (containers.dev/implementors/features): a folder with
// devcontainer-feature.json and install.sh, from the repository or from an OCI registry, installed
// as root on top of the image with its options as environment variables.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, type FeatureConfig } from '@atelier/protocol';
import { z } from 'zod';
import { format, parseImageReference, type RegistryClient } from './oci.js';
import { repoPath, type SourceCheckout } from './source.js';
import { runTar } from './tar.js';

/** What identifies a feature's content for the cache: a git tree id or a manifest digest. */
export interface ResolvedFeature {
  label: string;
  /** git tree id (local) or manifest digest (OCI) */
  contentId: string;
  options: Record<string, string | boolean>;
  /** writes the feature's files into `dest`; a local one from `files`, the checkout with blobs */
  fetchInto(dest: string, files: SourceCheckout, signal?: AbortSignal): Promise<void>;
}

const LAYER_TYPES = new Set([
  'application/vnd.devcontainers.layer.v1+tar',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
]);

export async function resolveFeature(
  feature: FeatureConfig,
  source: SourceCheckout,
  registry: RegistryClient,
  signal?: AbortSignal,
): Promise<ResolvedFeature> {
  if (feature.source.kind === 'local') {
    const path = repoPath(feature.source.path, 'the feature');
    const tree = await source.objectId(path, 'tree');
    if (!tree || !(await source.objectId(`${path}/devcontainer-feature.json`, 'blob'))) {
      throw new AppError(
        'failed_precondition',
        `the local feature ${path} has no devcontainer-feature.json at commit ${source.commit.slice(0, 12)} — a feature is a folder with devcontainer-feature.json and install.sh`,
      );
    }
    return {
      label: `./${path}`,
      contentId: `git:${tree}`,
      options: feature.options,
      fetchInto: (dest, files) => files.extract(path, dest),
    };
  }
  const ref = parseImageReference(feature.source.ref);
  const manifest = await registry.manifest(ref, signal);
  const layer = manifest.layers.find((l) => LAYER_TYPES.has(l.mediaType)) ?? manifest.layers[0];
  if (!layer) throw new AppError('failed_precondition', `the feature ${format(ref)} has no layer to install`);
  return {
    label: feature.source.ref,
    contentId: manifest.digest,
    options: feature.options,
    async fetchInto(dest, _files, fetchSignal) {
      const blob = await registry.blob(ref, layer.digest, fetchSignal);
      const file = `${dest}.tar`;
      await writeFile(file, blob);
      try {
        // GNU tar recognises a gzip-compressed file by itself
        await runTar(['-x', '-f', file, '-C', dest, '--no-same-owner']);
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}

const featureMetadataSchema = z.looseObject({
  id: z.string().min(1),
  version: z.string().optional(),
  name: z.string().optional(),
  options: z
    .record(
      z.string(),
      z.looseObject({
        type: z.enum(['string', 'boolean']).optional(),
        default: z.union([z.string(), z.boolean()]).optional(),
      }),
    )
    .default({}),
  containerEnv: z.record(z.string(), z.string()).default({}),
});

/** The option name as the install script sees it: upper case, other characters as `_`. */
export const optionEnvName = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Downloads each feature into `<buildDir>/<folder>/<n>`, writes its option file, and returns the
 * Dockerfile that installs them all on `base` and goes back to `user`.
 */
export async function featuresDockerfile(opts: {
  buildDir: string;
  folder: string;
  base: string;
  user: string;
  remoteUser: string | undefined;
  features: ResolvedFeature[];
  files: SourceCheckout;
  signal?: AbortSignal;
}): Promise<string> {
  const lines = [`FROM ${opts.base}`, 'USER root'];
  const env: string[] = [];
  for (const [n, feature] of opts.features.entries()) {
    const dest = join(opts.buildDir, opts.folder, String(n));
    await mkdir(dest, { recursive: true });
    await feature.fetchInto(dest, opts.files, opts.signal);
    const metaText = await readFile(join(dest, 'devcontainer-feature.json'), 'utf8').catch(() => {
      throw new AppError(
        'failed_precondition',
        `the feature ${feature.label} has no devcontainer-feature.json`,
      );
    });
    let json: unknown;
    try {
      json = JSON.parse(metaText);
    } catch (e) {
      throw new AppError(
        'failed_precondition',
        `the feature ${feature.label}: devcontainer-feature.json is not JSON (${(e as Error).message})`,
      );
    }
    const parsed = featureMetadataSchema.safeParse(json);
    if (!parsed.success) {
      throw new AppError(
        'failed_precondition',
        `the feature ${feature.label}: devcontainer-feature.json is not valid (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
      );
    }
    const meta = parsed.data;
    const unknown = Object.keys(feature.options).filter((k) => k !== 'version' && !(k in meta.options));
    if (unknown.length > 0) {
      throw new AppError(
        'invalid_argument',
        `the feature ${feature.label} has no option ${unknown.join(', ')}; it has: ${Object.keys(meta.options).join(', ') || 'none'}`,
      );
    }
    const values: string[] = [];
    for (const [name, option] of Object.entries(meta.options)) {
      const value = feature.options[name] ?? option.default;
      if (value !== undefined) values.push(`${optionEnvName(name)}=${shellQuote(String(value))}`);
    }
    values.push(
      `_CONTAINER_USER=${shellQuote(opts.user)}`,
      `_REMOTE_USER=${shellQuote(opts.remoteUser ?? opts.user)}`,
    );
    await writeFile(join(dest, 'devcontainer-features.env'), `${values.join('\n')}\n`);
    for (const [name, value] of Object.entries(meta.containerEnv)) {
      if (!ENV_NAME.test(name)) {
        throw new AppError(
          'failed_precondition',
          `the feature ${feature.label} sets an invalid variable name '${name}'`,
        );
      }
      env.push(`ENV ${name}=${JSON.stringify(value)}`);
    }
    const dir = `/tmp/atelier-features/${n}`;
    lines.push(
      `COPY ${opts.folder}/${n} ${dir}`,
      // the spec's contract: options and the users as variables; home folders looked up in the image
      `RUN echo "feature ${meta.id}${meta.version ? ` ${meta.version}` : ''} (${feature.label.replace(/["$`\\]/g, '')})" && cd ${dir} && set -a && . ./devcontainer-features.env && ` +
        `_CONTAINER_USER_HOME=$(getent passwd "$_CONTAINER_USER" | cut -d: -f6) && ` +
        `_REMOTE_USER_HOME=$(getent passwd "$_REMOTE_USER" | cut -d: -f6) && set +a && ` +
        `chmod +x install.sh && ./install.sh && rm -rf ${dir}`,
      ...env.splice(0),
    );
  }
  lines.push(`USER ${opts.user}`);
  return `${lines.join('\n')}\n`;
}
