// What a context URL asks for (reference/gitpod.md §5), as zod schemas: a parsed context crosses the API.
import { z } from 'zod';

/** The SCM kinds of gitpod.md §8.1 (`authProviders[].type`), in our spelling. */
export const SCM_PROVIDER_TYPES = [
  'github',
  'gitlab',
  'bitbucket',
  'bitbucket-server',
  'azure-devops',
] as const;
export const scmProviderTypeSchema = z.enum(SCM_PROVIDER_TYPES);
export type ScmProviderType = z.infer<typeof scmProviderTypeSchema>;

/** A repository on a known SCM host, named as its web URLs name it. */
export const contextRepositorySchema = z.object({
  provider: scmProviderTypeSchema,
  /** the provider's host as configured: `github.com`, `gitlab.example.com:8443`, `1.2.3.4/gitlab` */
  host: z.string().min(1),
  /**
   * GitHub, Bitbucket: the user or organization / workspace; GitLab: the group path, subgroups
   * joined by "/"; Bitbucket Server: the project key in upper case, or `~user` for a personal
   * repository; Azure DevOps: `<organization>/<project>`
   */
  owner: z.string().min(1),
  /** without `.git` */
  name: z.string().min(1),
  /** https clone URL: what `git clone` is given */
  cloneUrl: z.string().min(1),
});
export type ContextRepository = z.infer<typeof contextRepositorySchema>;

/** A ref the URL names; `unknown` when it may be a branch, a tag or a commit (GitHub `tree/<x>`). */
export const contextRefSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['branch', 'tag', 'unknown']),
});
export type ContextRef = z.infer<typeof contextRefSchema>;

/** Gitpod's snapshot and prebuild ids: UUIDs, lower case. */
export const CONTEXT_UUID_RULE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuidSchema = z.string().regex(CONTEXT_UUID_RULE);
const numberSchema = z.number().int().positive();
const shaSchema = z.string().regex(/^[0-9a-f]{7,40}$/);

/**
 * A repository at a revision. At most one of `ref` and `refAndPath`; with neither, the default
 * branch. `refAndPath` is what follows `tree|blob|commits/` (GitHub, GitLab) or `src/` (Bitbucket)
 * when it has two or more segments, decoded: the URL cannot say where the ref ends and the path
 * begins (`tree/feature/x/src/a.ts`), so the server tries the longest prefix `s1/…/si` that names
 * a branch or tag (then `s1` as a commit) and takes the remaining segments as the path, as Gitpod.
 */
export const repositoryTargetSchema = z.object({
  kind: z.literal('repository'),
  repository: contextRepositorySchema,
  ref: contextRefSchema.optional(),
  /** a file or folder in the repository, "/"-separated, no leading "/" */
  path: z.string().min(1).optional(),
  refAndPath: z.array(z.string().min(1)).min(2).optional(),
});

/** GitHub pull, GitLab merge_requests, Bitbucket (Server) pull-requests, Azure DevOps pullrequest. */
export const pullRequestTargetSchema = z.object({
  kind: z.literal('pull-request'),
  repository: contextRepositorySchema,
  number: numberSchema,
});

export const issueTargetSchema = z.object({
  kind: z.literal('issue'),
  repository: contextRepositorySchema,
  number: numberSchema,
});

export const commitTargetSchema = z.object({
  kind: z.literal('commit'),
  repository: contextRepositorySchema,
  /** 7 to 40 hexadecimal digits, lower case; an abbreviation is resolved by the server */
  sha: shaSchema,
  path: z.string().min(1).optional(),
});

export const snapshotTargetSchema = z.object({
  kind: z.literal('snapshot'),
  snapshotId: uuidSchema,
});

/** A git repository on a host that is no configured SCM provider: cloned as given. */
export const gitTargetSchema = z.object({
  kind: z.literal('git'),
  /** the host name, with the port of an http(s) URL */
  host: z.string().min(1),
  /** `https://host/path(.git)`, `ssh://user@host[:port]/path` or `user@host:path` */
  cloneUrl: z.string().min(1),
});

export const contextTargetSchema = z.discriminatedUnion('kind', [
  repositoryTargetSchema,
  pullRequestTargetSchema,
  issueTargetSchema,
  commitTargetSchema,
  snapshotTargetSchema,
  gitTargetSchema,
]);
/** What the context (without prefixes) asks for. */
export type ContextTarget = z.infer<typeof contextTargetSchema>;

/** What the prefixes (`VAR=v,.../`, `referrer:`, `imagebuild/`, `open-prebuild/`) add. */
export const contextPrefixesSchema = z.object({
  /** the `VAR=value,.../` prefix, values URL-decoded; empty without one */
  env: z.record(z.string(), z.string()),
  /** `referrer:<name>[:<ide>]/`: who sent the user (a browser extension, say) and the IDE it asks for */
  referrer: z.string().min(1).optional(),
  referrerIde: z.string().min(1).optional(),
  /** `imagebuild/`: rebuild the workspace image even when one is cached */
  forceImageBuild: z.boolean(),
  /** `open-prebuild/<id>/`: open this prebuild's content */
  openPrebuildId: uuidSchema.optional(),
});
export type ContextPrefixes = z.infer<typeof contextPrefixesSchema>;

const contextCommon = {
  ...contextPrefixesSchema.shape,
  /** the context without its prefixes, with a scheme, without fragment and trailing "/" */
  normalizedContextUrl: z.string().min(1),
};

export const parsedContextSchema = z.discriminatedUnion('kind', [
  repositoryTargetSchema.extend(contextCommon),
  pullRequestTargetSchema.extend(contextCommon),
  issueTargetSchema.extend(contextCommon),
  commitTargetSchema.extend(contextCommon),
  snapshotTargetSchema.extend(contextCommon),
  gitTargetSchema.extend(contextCommon),
]);
/** The result of parseContext: plain JSON data. */
export type ParsedContext = z.infer<typeof parsedContextSchema>;
