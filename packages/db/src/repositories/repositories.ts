// All repositories over one database and one clock, as the composition root hands them out.

import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { AccessTokenRepository } from './access-tokens.js';
import { AuthProviderRepository } from './auth-providers.js';
import { BackupRepository } from './backups.js';
import { IdentityRepository, ScmTokenRepository } from './identities.js';
import { InstanceLogRepository } from './instance-logs.js';
import { InstanceRepository } from './instances.js';
import { OauthFlowRepository } from './oauth-flows.js';
import { SessionRepository } from './sessions.js';
import { SettingsRepository } from './settings.js';
import { UserEnvVarRepository } from './user-env-vars.js';
import { UserSshKeyRepository } from './user-ssh-keys.js';
import { UserRepository } from './users.js';
import { WorkspacePortRepository } from './workspace-ports.js';
import { WorkspaceRepository } from './workspaces.js';

export class Repositories {
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly tokens: AccessTokenRepository;
  readonly workspaces: WorkspaceRepository;
  readonly instances: InstanceRepository;
  readonly backups: BackupRepository;
  readonly settings: SettingsRepository;
  readonly logs: InstanceLogRepository;
  readonly ports: WorkspacePortRepository;
  readonly envVars: UserEnvVarRepository;
  readonly sshKeys: UserSshKeyRepository;
  readonly identities: IdentityRepository;
  readonly scmTokens: ScmTokenRepository;
  readonly oauthFlows: OauthFlowRepository;
  readonly authProviders: AuthProviderRepository;

  constructor(db: Kysely<Database>, clock: () => Date = () => new Date()) {
    this.users = new UserRepository(db, clock);
    this.sessions = new SessionRepository(db, clock);
    this.tokens = new AccessTokenRepository(db, clock);
    this.workspaces = new WorkspaceRepository(db, clock);
    this.instances = new InstanceRepository(db, clock);
    this.backups = new BackupRepository(db, clock);
    this.settings = new SettingsRepository(db, clock);
    this.logs = new InstanceLogRepository(db, clock);
    this.ports = new WorkspacePortRepository(db, clock);
    this.envVars = new UserEnvVarRepository(db, clock);
    this.sshKeys = new UserSshKeyRepository(db, clock);
    this.identities = new IdentityRepository(db, clock);
    this.scmTokens = new ScmTokenRepository(db, clock);
    this.oauthFlows = new OauthFlowRepository(db, clock);
    this.authProviders = new AuthProviderRepository(db, clock);
  }
}
