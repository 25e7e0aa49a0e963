// The one internal shape of a workspace's configuration, whichever file it came from
// (.gitpod.yml or devcontainer.json): what the image builder, the manager and the supervisor read.
import { z } from 'zod';

export const portVisibilitySchema = z.enum(['private', 'public']);
export type PortVisibility = z.infer<typeof portVisibilitySchema>;

export const portOnOpenSchema = z.enum([
  'open-browser',
  'open-preview',
  'notify',
  'ignore',
  'ignore-completely',
]);

export const portConfigSchema = z.object({
  /** a single port, or the first of a range */
  port: z.number().int().min(1).max(65535),
  /** the last port of a range (inclusive); absent for a single port */
  to: z.number().int().min(1).max(65535).optional(),
  onOpen: portOnOpenSchema.default('notify'),
  visibility: portVisibilitySchema.default('private'),
  name: z.string().optional(),
  description: z.string().optional(),
  protocol: z.enum(['http', 'https']).default('http'),
});
export type PortConfig = z.infer<typeof portConfigSchema>;

export const taskConfigSchema = z.object({
  name: z.string(),
  /** every start, before init and command */
  before: z.string().optional(),
  /** fresh starts and prebuilds only (not after a restore from backup) */
  init: z.string().optional(),
  /** prebuilds only (deprecated in Gitpod) */
  prebuild: z.string().optional(),
  /** every start, last; may run forever */
  command: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  openIn: z.enum(['bottom', 'main', 'left', 'right']).optional(),
  openMode: z.enum(['split-left', 'split-right', 'tab-before', 'tab-after']).optional(),
});
export type TaskConfig = z.infer<typeof taskConfigSchema>;

export const imageConfigSchema = z.discriminatedUnion('kind', [
  /** the installation's default workspace image */
  z.object({ kind: z.literal('default') }),
  /** an image reference to pull or find in the local store */
  z.object({ kind: z.literal('ref'), ref: z.string().min(1) }),
  /** a Dockerfile in the repository; paths relative to the repository root */
  z.object({
    kind: z.literal('dockerfile'),
    file: z.string().min(1),
    context: z.string(),
    args: z.record(z.string(), z.string()).default({}),
    target: z.string().optional(),
  }),
]);
export type ImageConfig = z.infer<typeof imageConfigSchema>;

/** A dev container feature: an OCI reference, or a folder in the repository (relative to it). */
export const featureConfigSchema = z.object({
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('oci'), ref: z.string().min(1) }),
    z.object({ kind: z.literal('local'), path: z.string().min(1) }),
  ]),
  options: z.record(z.string(), z.union([z.string(), z.boolean()])).default({}),
});
export type FeatureConfig = z.infer<typeof featureConfigSchema>;

export const configWarningSchema = z.object({ file: z.string(), message: z.string() });
export type ConfigWarning = z.infer<typeof configWarningSchema>;

export const workspaceConfigSchema = z.object({
  /** which file it came from; `default` when the repository has none */
  origin: z.enum(['gitpod', 'devcontainer', 'default']),
  /** repository-relative path of that file */
  file: z.string().optional(),
  image: imageConfigSchema,
  features: z.array(featureConfigSchema).default([]),
  tasks: z.array(taskConfigSchema).default([]),
  ports: z.array(portConfigSchema).default([]),
  /** workspace-wide environment from the file (tasks add their own) */
  env: z.record(z.string(), z.string()).default({}),
  /** below /workspace; default: the repository's name */
  checkoutLocation: z.string().optional(),
  /** folder or .code-workspace file the IDE opens, below /workspace */
  workspaceLocation: z.string().optional(),
  /** the user tasks and terminals run as (devcontainer remoteUser); default: the image's */
  user: z.string().optional(),
  gitConfig: z.record(z.string(), z.string()).default({}),
  vscodeExtensions: z.array(z.string()).default([]),
  additionalRepositories: z
    .array(z.object({ url: z.string(), checkoutLocation: z.string().optional() }))
    .default([]),
  /** `ulimit -c` soft/hard, from coreDump */
  coreDump: z
    .object({
      soft: z.union([z.number().int().min(0), z.literal('unlimited')]),
      hard: z.union([z.number().int().min(0), z.literal('unlimited')]),
    })
    .optional(),
  warnings: z.array(configWarningSchema).default([]),
  /** the commit the file was read from: image builds use the same one */
  revision: z.string().optional(),
});
export type WorkspaceConfig = z.infer<typeof workspaceConfigSchema>;
