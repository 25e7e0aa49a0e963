// Public surface of @atelier/db: open the database, migrate it, and use it through repositories.
export { type DatabaseHandle, openDatabase } from './connect.js';
export type { DialectName } from './dialect.js';
export { MIGRATIONS, migrateToLatest } from './migrations/migrate.js';
export { AccessTokenRepository } from './repositories/access-tokens.js';
export { type AuthProviderPatch, AuthProviderRepository } from './repositories/auth-providers.js';
export { BackupRepository, type NewBackup } from './repositories/backups.js';
export { IdentityRepository, ScmTokenRepository } from './repositories/identities.js';
export { InstanceLogRepository } from './repositories/instance-logs.js';
export {
  type InstancePatch,
  InstanceRepository,
  type NewInstance,
  type TransitionPatch,
} from './repositories/instances.js';
export { OauthFlowRepository } from './repositories/oauth-flows.js';
export { Repositories } from './repositories/repositories.js';
export { SessionRepository } from './repositories/sessions.js';
export { SettingsRepository } from './repositories/settings.js';
export { UserEnvVarRepository } from './repositories/user-env-vars.js';
export { UserSshKeyRepository } from './repositories/user-ssh-keys.js';
export { UserRepository } from './repositories/users.js';
export { WorkspacePortRepository } from './repositories/workspace-ports.js';
export { type NewWorkspace, WorkspaceRepository } from './repositories/workspaces.js';
export { type ResealResult, resealSecrets, SEALED_COLUMNS } from './reseal.js';
export type {
  AccessToken,
  AuthProviderRow,
  Backup,
  ContentSourceKind,
  Database,
  DesiredPhase,
  Identity,
  Instance,
  InstanceLogChunk,
  IsoTime,
  OauthFlow,
  ScmTokenRow,
  Session,
  User,
  UserEnvVar,
  UserSshKey,
  Workspace,
  WorkspacePort,
} from './schema.js';
export { hashToken, loadKeyRing, newSecretToken, SecretBox } from './secrets.js';
export { hasMariaDb, startTestMariaDb, type TestMariaDb } from './testing/mariadb.js';
