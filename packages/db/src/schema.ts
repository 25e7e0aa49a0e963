// The database schema as Kysely sees it (camelCase; the CamelCasePlugin maps it to snake_case SQL)
// and the row types the repositories hand out.
import type { InstanceId, Phase, UserId, WorkspaceId } from '@atelier/protocol';

/** ISO-8601 UTC time as written by `Date.prototype.toISOString()`; sorts as text. */
export type IsoTime = string;

export interface UsersTable {
  id: UserId;
  name: string;
  passwordHash: string | null;
  admin: number;
  blocked: number;
  createdAt: IsoTime;
  /** JSON of userPreferencesSchema (protocol); null: the defaults */
  preferences: string | null;
}

export interface SessionsTable {
  tokenHash: string;
  userId: UserId;
  createdAt: IsoTime;
  expiresAt: IsoTime;
  lastSeenAt: IsoTime;
}

export interface AccessTokensTable {
  id: string;
  userId: UserId;
  name: string;
  tokenHash: string;
  createdAt: IsoTime;
  expiresAt: IsoTime | null;
  lastUsedAt: IsoTime | null;
}

export interface WorkspacesTable {
  id: WorkspaceId;
  ownerId: UserId;
  contextUrl: string;
  cloneUrl: string;
  ref: string | null;
  description: string;
  /** the repository's workspace configuration at creation (protocol WorkspaceConfig as JSON) */
  config: string | null;
  /** VAR=value pairs of the context URL's prefix, as a JSON object; null when none */
  contextEnv: string | null;
  /** 1: anyone with the URL may use the workspace and its ports (Gitpod's "share"); 0: the owner only */
  shared: number;
  /** the workspace's own inactivity time-out in ms (`gp timeout set`); null: the owner's preference or the default */
  timeoutMs: number | null;
  /** what the context URL resolved to through its SCM (protocol ResolvedContext as JSON); null: the repository as cloned */
  context: string | null;
  createdAt: IsoTime;
  deletedAt: IsoTime | null;
}

export interface WorkspaceInstancesTable {
  id: InstanceId;
  workspaceId: WorkspaceId;
  phase: Phase;
  /** JSON object phase -> ISO time */
  phaseTimes: string;
  createdAt: IsoTime;
  desiredPhase: DesiredPhase;
  failed: string | null;
  message: string | null;
  stoppedReason: string | null;
  contentSource: ContentSourceKind | null;
  ownerTokenSealed: string;
  supervisorTokenSealed: string;
  image: string;
  /** JSON, owned by the runtime */
  runtime: string | null;
  lastActivityAt: IsoTime | null;
  /** who sent the last activity (ActivitySource of protocol) */
  lastActivitySource: string | null;
  /** when the IDE's last browser tab went away; null while one is open */
  ideClosedAt: IsoTime | null;
  /** sha256 (hex) of the instance's workspace-scoped API token; null once it stopped */
  workspaceTokenHash: string | null;
  /** incremented by every write; used for compare-and-set */
  version: number;
}

export interface BackupsTable {
  id: string;
  workspaceId: WorkspaceId;
  instanceId: InstanceId;
  bucket: string;
  objectKey: string;
  size: number;
  sha256: string;
  createdAt: IsoTime;
  verifiedAt: IsoTime | null;
}

/** A port's visibility as changed at run time; overrides the configuration file's. */
export interface WorkspacePortsTable {
  workspaceId: WorkspaceId;
  port: number;
  visibility: 'private' | 'public';
  updatedAt: IsoTime;
}

/** A user's environment variable for the workspaces of repositories matching `owner/repo` patterns. */
export interface UserEnvVarsTable {
  id: string;
  userId: UserId;
  name: string;
  /** `owner/repo`; `*` stands for any one segment, `**` (last only) for the rest */
  repositoryPattern: string;
  valueSealed: string;
  createdAt: IsoTime;
  updatedAt: IsoTime;
}

/** Logs of an instance (stream `image-build`, `task-<n>`...), in chunks numbered from 0. */
export interface InstanceLogsTable {
  instanceId: InstanceId;
  stream: string;
  seq: number;
  chunk: string;
  createdAt: IsoTime;
}

/** A user's SSH public key: it opens the SSH gateway to the user's workspaces. */
export interface UserSshKeysTable {
  id: string;
  userId: UserId;
  name: string;
  /** "<algorithm> <base64 blob>" */
  publicKey: string;
  /** "SHA256:<base64 without padding>" */
  fingerprint: string;
  createdAt: IsoTime;
  lastUsedAt: IsoTime | null;
}

/** An SCM or OIDC provider an administrator added (the config file's are not stored). */
export interface AuthProvidersTable {
  id: string;
  host: string;
  /** as authProviders[].type of the config: GitHub, GitLab, Bitbucket, BitbucketServer, AzureDevOps, OIDC */
  type: string;
  /** https, or http for a provider on this machine's loopback */
  scheme: string;
  clientId: string;
  clientSecretSealed: string;
  issuer: string | null;
  createdBy: UserId | null;
  createdAt: IsoTime;
  updatedAt: IsoTime;
}

/** A user's account at a provider; a user may have several. */
export interface IdentitiesTable {
  providerId: string;
  /** the provider's stable id of the account */
  subject: string;
  userId: UserId;
  login: string;
  email: string | null;
  createdAt: IsoTime;
  lastSigninAt: IsoTime;
}

/** The SCM token of an identity, sealed (JSON: accessToken, refreshToken?, scopes, expiresAt?). */
export interface ScmTokensTable {
  providerId: string;
  subject: string;
  tokenSealed: string;
  /** space-separated, as granted */
  scopes: string;
  expiresAt: IsoTime | null;
  updatedAt: IsoTime;
}

/** An OAuth sign-in in progress: found by its state's hash, used once, expires. */
export interface OauthFlowsTable {
  stateHash: string;
  providerId: string;
  codeVerifierSealed: string;
  returnTo: string;
  userId: UserId | null;
  scopes: string;
  createdAt: IsoTime;
  expiresAt: IsoTime;
  usedAt: IsoTime | null;
}

export interface SystemSettingsTable {
  name: string;
  value: string;
  updatedAt: IsoTime;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  accessTokens: AccessTokensTable;
  workspaces: WorkspacesTable;
  workspaceInstances: WorkspaceInstancesTable;
  backups: BackupsTable;
  systemSettings: SystemSettingsTable;
  workspacePorts: WorkspacePortsTable;
  userEnvVars: UserEnvVarsTable;
  instanceLogs: InstanceLogsTable;
  userSshKeys: UserSshKeysTable;
  authProviders: AuthProvidersTable;
  identities: IdentitiesTable;
  scmTokens: ScmTokensTable;
  oauthFlows: OauthFlowsTable;
}

export type DesiredPhase = 'running' | 'stopped';
export type ContentSourceKind = 'git' | 'backup';

export interface User {
  id: UserId;
  name: string;
  passwordHash: string | null;
  admin: boolean;
  blocked: boolean;
  createdAt: IsoTime;
  /** raw JSON; the server parses it with userPreferencesSchema */
  preferences: string | null;
}

export type Session = SessionsTable;
export type AccessToken = AccessTokensTable;
export type Workspace = WorkspacesTable;
export type Backup = BackupsTable;
export type WorkspacePort = WorkspacePortsTable;
export type UserEnvVar = UserEnvVarsTable;
export type UserSshKey = UserSshKeysTable;
export type InstanceLogChunk = InstanceLogsTable;
export type AuthProviderRow = AuthProvidersTable;
export type Identity = IdentitiesTable;
export type ScmTokenRow = ScmTokensTable;
export type OauthFlow = OauthFlowsTable;

/** An instance row with its JSON columns parsed. */
export type Instance = Omit<WorkspaceInstancesTable, 'phaseTimes' | 'runtime'> & {
  /** when each phase was first entered */
  phaseTimes: Partial<Record<Phase, IsoTime>>;
  /** runtime-specific reference (container id, pod name, ...); opaque to the database */
  runtime: unknown | null;
};
