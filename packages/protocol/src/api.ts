// REST API v1 request and response bodies; server, dashboard and CLI share these schemas.
import { z } from 'zod';
import { envValueProblem, repositoryPatternProblem, userEnvNameProblem } from './env.js';
import { phaseSchema } from './phases.js';
import { configWarningSchema, portOnOpenSchema, portVisibilitySchema } from './workspace-config/types.js';

export const errorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(z.string()).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const portSchema = z.object({
  port: z.number().int(),
  url: z.string(),
  /** public: anyone reaches the URL; private: only with the owner's cookie or token */
  visibility: portVisibilitySchema,
  /** served: something listens on it in the workspace (the same as state 'served') */
  served: z.boolean(),
  state: z.enum(['served', 'not-served']),
  /** from the configuration file; null when it does not name the port */
  name: z.string().nullable(),
  description: z.string().nullable(),
  onOpen: portOnOpenSchema,
  protocol: z.enum(['http', 'https']),
});
export type PortDto = z.infer<typeof portSchema>;

/** PUT /api/v1/workspaces/{id}/sharing */
export const setWorkspaceSharingRequestSchema = z.strictObject({
  shared: z.boolean({ error: 'shared must be true (anyone with the URL) or false (the owner only)' }),
});
export type SetWorkspaceSharingRequest = z.infer<typeof setWorkspaceSharingRequestSchema>;

/** PUT /api/v1/workspaces/{id}/ports/{port} */
export const setPortVisibilityRequestSchema = z.strictObject({ visibility: portVisibilitySchema });
export type SetPortVisibilityRequest = z.infer<typeof setPortVisibilityRequestSchema>;

export const backupSchema = z.object({
  id: z.string(),
  instanceId: z.string(),
  objectKey: z.string(),
  size: z.number(),
  sha256: z.string(),
  createdAt: z.string(),
  verifiedAt: z.string().nullable(),
});
export type BackupDto = z.infer<typeof backupSchema>;

export const instanceSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  phase: phaseSchema,
  /** ISO time at which each phase was entered */
  phaseTimes: z.record(z.string(), z.string()),
  createdAt: z.string(),
  /** set when the instance failed; the message says what to do */
  failed: z.string().nullable(),
  /** human-readable detail of the current phase (e.g. "restoring backup 40%") */
  message: z.string().nullable(),
  stoppedReason: z.string().nullable(),
  contentSource: z.enum(['git', 'backup']).nullable(),
});
export type InstanceDto = z.infer<typeof instanceSchema>;

/** Where a workspace's configuration came from, and what was wrong with it without failing it. */
export const workspaceConfigSummarySchema = z.object({
  /** gitpod: .gitpod.yml; devcontainer: devcontainer.json; default: the repository has neither */
  origin: z.enum(['gitpod', 'devcontainer', 'default']),
  /** repository-relative path of that file; null for `default` */
  file: z.string().nullable(),
  /** e.g. both files exist and .gitpod.yml wins */
  warnings: z.array(configWarningSchema),
});
export type WorkspaceConfigSummary = z.infer<typeof workspaceConfigSummarySchema>;

/** The IDE a user opens a workspace in (a user preference). */
export const ideChoiceSchema = z.enum(['code', 'terminal', 'vscode-desktop', 'jetbrains']);
export type IdeChoice = z.infer<typeof ideChoiceSchema>;

/** Who showed that the user is there; shown on the dashboard as the reason a workspace lives on. */
export const activitySourceSchema = z.enum(['ide', 'terminal', 'ssh', 'gp', 'api']);
export type ActivitySource = z.infer<typeof activitySourceSchema>;

/** Why a running workspace will stop, and what keeps it alive (GET /api/v1/workspaces/{id}, `activity`). */
export const workspaceActivitySchema = z.object({
  /** last heartbeat or SSH traffic; the start of running when there was none */
  lastActivityAt: z.string(),
  /** who sent it: ide, terminal (the terminal page), ssh, gp, api; null before the first */
  lastActivitySource: activitySourceSchema.nullable(),
  /** the IDE's last tab went away at this time; null while one is open (or none ever was) */
  ideClosedAt: z.string().nullable(),
  /** the inactivity time-out that applies to this workspace, ms */
  inactivityTimeoutMs: z.number().int(),
  /** when it stops if nothing happens, and by which rule */
  stopsAt: z.string(),
  stopsBecause: z.enum(['inactivity', 'ide-closed', 'max-lifetime']),
});
export type WorkspaceActivity = z.infer<typeof workspaceActivitySchema>;

/** GET and PUT /api/v1/workspaces/{id}/timeout */
export const workspaceTimeoutSchema = z.object({
  /** the inactivity time-out in force, ms */
  inactivityMs: z.number().int(),
  /** as Go writes durations: 30m, 3h */
  inactivity: z.string(),
  /** where it comes from: the installation's default, the user's preference, or this workspace */
  source: z.enum(['default', 'user', 'workspace']),
  /** false: the administrator does not let users change time-outs */
  userTimeoutsAllowed: z.boolean(),
  /** the longest a user may set, ms (24 h unless the administrator says less) */
  maxMs: z.number().int(),
  afterCloseMs: z.number().int(),
  maxLifetimeMs: z.number().int(),
});
export type WorkspaceTimeoutDto = z.infer<typeof workspaceTimeoutSchema>;

/** A user time-out: a Go duration (`30m`, `3h`, `1h30m`), more than 0 and at most 24 h. */
export const userTimeoutSchema = z.string().regex(/^(\d+(ns|us|µs|ms|s|m|h))+$/, {
  message: 'must be a duration such as 30m, 3h or 1h30m (Go syntax: ns, us, ms, s, m, h)',
});
export const setWorkspaceTimeoutRequestSchema = z.strictObject({ timeout: userTimeoutSchema });
export type SetWorkspaceTimeoutRequest = z.infer<typeof setWorkspaceTimeoutRequestSchema>;

/** A user's preferences as stored (PUT /api/v1/user/preferences takes the same; absent keys: the defaults). */
export const userPreferencesSchema = z.strictObject({
  /** the IDE the start page opens */
  ide: ideChoiceSchema.optional(),
  /** the inactivity time-out of the user's workspaces */
  timeout: userTimeoutSchema.optional(),
});
export type UserPreferences = z.infer<typeof userPreferencesSchema>;

/** GET /api/v1/user/preferences */
export const userPreferencesResponseSchema = z.object({
  preferences: userPreferencesSchema,
  /** what applies where the user chose nothing */
  defaults: z.object({ ide: ideChoiceSchema, timeout: z.string() }),
  userTimeoutsAllowed: z.boolean(),
  maxTimeout: z.string(),
});
export type UserPreferencesResponse = z.infer<typeof userPreferencesResponseSchema>;

/** POST /api/v1/workspaces/{id}/heartbeat (the supervisor, with the workspace token; or the dashboard) */
export const workspaceHeartbeatRequestSchema = z.strictObject({
  instanceId: z.string().min(1),
  source: activitySourceSchema,
  closed: z.boolean().default(false),
});
export type WorkspaceHeartbeatRequest = z.input<typeof workspaceHeartbeatRequestSchema>;

export const workspaceSchema = z.object({
  id: z.string(),
  ownerId: z.string(),
  contextUrl: z.string(),
  cloneUrl: z.string(),
  ref: z.string().nullable(),
  description: z.string(),
  createdAt: z.string(),
  url: z.string(),
  instance: instanceSchema.nullable(),
  ports: z.array(portSchema),
  lastBackup: backupSchema.nullable(),
  /** null for workspaces made before configuration files were read */
  config: workspaceConfigSummarySchema.nullable(),
  /** anyone with the URL may use the workspace and all its ports (the owner turns it on) */
  shared: z.boolean(),
  /** how to reach the workspace over SSH; null when the SSH gateway is off */
  ssh: z.object({ host: z.string(), port: z.number().int(), user: z.string() }).nullable(),
  /** for a running instance: when it will stop and what keeps it alive; null otherwise */
  activity: workspaceActivitySchema.nullable(),
  /** the IDE its context link chose (`referrer:<name>:<ide>/`); absent: the owner's preference */
  ide: ideChoiceSchema.optional(),
});
export type WorkspaceDto = z.infer<typeof workspaceSchema>;

/** A task of the workspace's latest instance (GET /api/v1/workspaces/{id}/tasks). */
export const workspaceTaskSchema = z.object({
  /** position in the configuration's task list, from 0; its output is at tasks/{index}/output */
  index: z.number().int().min(0),
  name: z.string(),
  /** pending: not started yet; running: its terminal is open; exited: its terminal (or the instance) ended */
  state: z.enum(['pending', 'running', 'exited']),
  /** the terminal's exit code when known */
  exitCode: z.number().int().nullable(),
});
export type WorkspaceTaskDto = z.infer<typeof workspaceTaskSchema>;

export const workspaceTasksSchema = z.object({
  /** the latest instance; null when the workspace never started */
  instanceId: z.string().nullable(),
  /** true: read from the running workspace (ask again for more); false: what was kept, or nothing yet */
  live: z.boolean(),
  tasks: z.array(workspaceTaskSchema),
});
export type WorkspaceTasksDto = z.infer<typeof workspaceTasksSchema>;

export const createWorkspaceRequestSchema = z.strictObject({
  contextUrl: z.string().min(1, 'contextUrl is required: a git URL such as https://host/owner/repo.git'),
  /** a branch, tag or commit to check out instead of the default branch */
  ref: z
    .string()
    .regex(/^[A-Za-z0-9._/-]{1,200}$/, 'ref must be a branch, tag or commit name')
    .refine((r) => !r.startsWith('-') && !r.includes('..'), 'ref must be a branch, tag or commit name')
    .optional(),
});
export type CreateWorkspaceRequest = z.infer<typeof createWorkspaceRequestSchema>;

export const createWorkspaceResponseSchema = z.object({
  id: z.string(),
  instanceId: z.string(),
  phase: phaseSchema,
  url: z.string(),
});
export type CreateWorkspaceResponse = z.infer<typeof createWorkspaceResponseSchema>;

export const ownerTokenResponseSchema = z.object({ ownerToken: z.string() });

export const createTokenRequestSchema = z.strictObject({
  name: z.string().min(1).max(100).default('cli'),
  /** lifetime in days; omitted: no expiry */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export const createTokenResponseSchema = z.object({ id: z.string(), token: z.string() });

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  admin: z.boolean(),
  createdAt: z.string(),
});
export type UserDto = z.infer<typeof userSchema>;

const userName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,38}$/i, 'a user name is 1–39 letters, digits, ".", "_" or "-"');
const password = z.string().min(8, 'a password has at least 8 characters').max(200);

export const loginRequestSchema = z.strictObject({ name: z.string().min(1), password: z.string().min(1) });
export const setupRequestSchema = z.strictObject({ setupCode: z.string().min(1), name: userName, password });
export const createUserRequestSchema = z.strictObject({
  name: userName,
  password,
  admin: z.boolean().default(false),
});
export const userNameSchema = userName;
export const passwordSchema = password;

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), z.string()),
});
export const setupStatusSchema = z.object({ needsSetup: z.boolean(), user: userSchema.nullable() });

/** Server-Sent Events of GET /api/v1/workspaces/{id}/events and /api/v1/events: event "workspace". */
export const workspaceEventSchema = workspaceSchema;

/** An entry of GET /api/v1/user/env-vars: values are write-only and never shown again. */
export const userEnvVarSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `owner/repo` in lower case, `*` for any one segment, `**` for the rest */
  repositoryPattern: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type UserEnvVarDto = z.infer<typeof userEnvVarSchema>;

/** A refinement that reports what a rule of env.ts says is wrong. */
const ruleOf = (problem: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const message = problem(value);
  if (message) ctx.addIssue({ code: 'custom', message });
};

/**
 * PUT /api/v1/user/env-vars: creates the variable, or replaces the value of the one with this name
 * and pattern. The pattern has no default: a secret reaches every repository only when asked to.
 */
export const putUserEnvVarRequestSchema = z.strictObject({
  name: z
    .string({ error: 'name is required: letters, digits and "_"' })
    .superRefine(ruleOf(userEnvNameProblem)),
  value: z.string({ error: 'value is required' }).superRefine(ruleOf(envValueProblem)),
  repositoryPattern: z
    .string({ error: 'repositoryPattern is required: owner/repo, or */* for every repository' })
    .trim()
    .toLowerCase()
    .superRefine(ruleOf(repositoryPatternProblem)),
});
export type PutUserEnvVarRequest = z.infer<typeof putUserEnvVarRequestSchema>;

/** An entry of GET /api/v1/user/ssh-keys: a public key that opens the SSH gateway to the user's workspaces. */
export const sshKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  /** e.g. ssh-ed25519 */
  algorithm: z.string(),
  /** SHA256:<base64>, as `ssh-keygen -l` prints it */
  fingerprint: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type SshKeyDto = z.infer<typeof sshKeySchema>;

export const MAX_SSH_KEYS = 100;

/** POST /api/v1/user/ssh-keys: one line of an OpenSSH public key file (`~/.ssh/id_ed25519.pub`). */
export const addSshKeyRequestSchema = z.strictObject({
  /** shown in the list; default: the key's comment, else its algorithm */
  name: z
    .string()
    .trim()
    .min(1, { error: 'name may not be empty: leave it out to use the key comment' })
    .max(100, { error: 'name is at most 100 characters' })
    .optional(),
  publicKey: z
    .string({ error: 'publicKey is required: paste the content of ~/.ssh/id_ed25519.pub' })
    .trim()
    .min(1, { error: 'publicKey is empty: paste the content of ~/.ssh/id_ed25519.pub' })
    .max(16_384, { error: 'publicKey is longer than any public key (16 KiB): paste the .pub file' }),
});
export type AddSshKeyRequest = z.infer<typeof addSshKeyRequestSchema>;

/** GET /api/v1/auth/providers: what the sign-in page offers (no secrets). */
export const authProviderSummarySchema = z.object({
  id: z.string(),
  type: z.string(),
  host: z.string(),
  /** /auth/<id>/login; add ?returnTo=<path of this site> */
  loginUrl: z.string(),
});
export type AuthProviderSummary = z.infer<typeof authProviderSummarySchema>;

/**
 * GET /api/v1/workspaces/{id}/git-credentials?host=<host> (the workspace token only): the owner's
 * token for the SCM at that host, as git's credential helper answers (gp credential-helper).
 */
export const gitCredentialsSchema = z.object({ username: z.string(), password: z.string() });
export type GitCredentials = z.infer<typeof gitCredentialsSchema>;
