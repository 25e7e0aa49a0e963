// The environment a start composes, on a real SQLite database and key ring: the owner's variables
// for the repository, the configuration's, the context URL's and the system variables, in order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type DatabaseHandle,
  type Instance,
  loadKeyRing,
  migrateToLatest,
  openDatabase,
  Repositories,
  type SecretBox,
  type Workspace,
} from '@atelier/db';
import {
  type InstanceId,
  parseContextUrl,
  SUPERVISOR_CONFIG_ENV,
  type SupervisorConfigInput,
  type UserId,
  validateConfig,
  type WorkspaceConfig,
  type WorkspaceId,
  workspaceConfigSchema,
} from '@atelier/protocol';
import pino from 'pino';
import {
  type EnvironmentContext,
  MAX_SUPERVISOR_CONFIG_BYTES,
  supervisorConfigEnv,
  workspaceEnvironment,
} from './environment.js';

describe('workspaceEnvironment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-env-'));
  let handle: DatabaseHandle;
  let repos: Repositories;
  let secrets: SecretBox;
  let ctx: EnvironmentContext;
  const warnings: string[] = [];
  let owner: UserId;
  let other: UserId;

  before(async () => {
    handle = await openDatabase({ sqlite: { path: join(dir, 'atelier.db') } }, { dataDir: dir });
    await migrateToLatest(handle.db);
    repos = new Repositories(handle.db);
    secrets = await loadKeyRing(undefined, dir);
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const config = validateConfig({ dataDir: dir, workspace: { resources: { cpu: 2, memory: '2Gi' } } });
    ctx = { repos, secrets, config, logger, urls: { scheme: 'http', domain: 'localhost', port: 8080 } };
    owner = (await repos.users.create({ name: 'owner', passwordHash: null, admin: false })).id;
    other = (await repos.users.create({ name: 'other', passwordHash: null, admin: false })).id;
    const set = (user: UserId, name: string, pattern: string, value: string) =>
      repos.envVars.upsert(user, name, pattern, secrets.seal(value));
    await set(owner, 'EVERYWHERE', '*/*', 'user-all');
    await set(owner, 'LEVEL', '*/*', 'user-all');
    await set(owner, 'LEVEL', 'team/*', 'user-owner');
    await set(owner, 'LEVEL', 'team/app', 'user-exact');
    await set(owner, 'FROM_CONFIG', '*/*', 'user-over-config');
    await set(owner, 'FROM_CONTEXT', 'team/app', 'user-under-context');
    await set(owner, 'ELSEWHERE', 'team/other', 'not-here');
    await set(other, 'OTHERS', '*/*', 'not-mine');
  });
  after(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const workspace = (over: Partial<Workspace> = {}): Workspace => ({
    id: 'team-app-abcdefghij' as WorkspaceId,
    ownerId: owner,
    contextUrl: 'https://git.example.com/team/app.git',
    cloneUrl: 'https://git.example.com/team/app.git',
    ref: null,
    description: 'team/app',
    config: null,
    context: null,
    shared: 0,
    timeoutMs: null,
    contextEnv: JSON.stringify({ FROM_CONTEXT: 'context' }),
    createdAt: '2030-01-01T00:00:00.000Z',
    deletedAt: null,
    ...over,
  });
  const instance = { id: 'c0000000-0000-4000-8000-000000000001' as InstanceId } as Instance;
  const wsConfig: WorkspaceConfig = workspaceConfigSchema.parse({
    origin: 'gitpod',
    image: { kind: 'default' },
    env: { FROM_CONFIG: 'config', ONLY_CONFIG: 'config', GITPOD_WORKSPACE_ID: 'config-cannot' },
    tasks: [{ name: 'dev', command: 'npm start', env: { TASK: '1' } }],
  });
  const compose = (ws: Workspace, config: WorkspaceConfig | null = wsConfig) =>
    workspaceEnvironment(ctx, {
      workspace: ws,
      instance,
      config: config ?? undefined,
      repository: parseContextUrl(ws.cloneUrl),
      checkoutLocation: '/workspace/app',
    });

  test('config → user variables (most specific pattern) → context prefix → system variables', async () => {
    const env = await compose(workspace());
    assert.deepEqual(
      {
        EVERYWHERE: env.EVERYWHERE,
        LEVEL: env.LEVEL,
        FROM_CONFIG: env.FROM_CONFIG,
        ONLY_CONFIG: env.ONLY_CONFIG,
        FROM_CONTEXT: env.FROM_CONTEXT,
        ELSEWHERE: env.ELSEWHERE,
        OTHERS: env.OTHERS,
      },
      {
        EVERYWHERE: 'user-all',
        LEVEL: 'user-exact',
        FROM_CONFIG: 'user-over-config',
        ONLY_CONFIG: 'config',
        FROM_CONTEXT: 'context',
        ELSEWHERE: undefined,
        OTHERS: undefined,
      },
    );
    assert.equal(env.GITPOD_WORKSPACE_ID, 'team-app-abcdefghij', 'the configuration cannot override it');
    assert.equal(env.ATELIER_WORKSPACE_ID, 'team-app-abcdefghij');
    assert.equal(env.GITPOD_WORKSPACE_URL, 'http://team-app-abcdefghij.ws.localhost:8080');
    assert.equal(env.GITPOD_REPO_ROOT, '/workspace/app');
    assert.equal(env.GITPOD_MEMORY, '2048');
    assert.equal(env.GITPOD_CPU_COUNT, '2');
    assert.deepEqual(JSON.parse(env.GITPOD_TASKS ?? ''), [
      { name: 'dev', command: 'npm start', env: { TASK: '1' } },
    ]);
  });

  test('another repository of the owner gets only the variables that match it', async () => {
    const env = await compose(
      workspace({ cloneUrl: 'https://git.example.com/team/other.git', contextEnv: null }),
      null,
    );
    assert.equal(env.LEVEL, 'user-owner');
    assert.equal(env.ELSEWHERE, 'not-here');
    assert.equal(env.FROM_CONTEXT, undefined);
    assert.deepEqual(JSON.parse(env.GITPOD_TASKS ?? ''), [], 'no stored configuration: no tasks');
  });

  test('a stored context variable the block list now refuses is left out and named in the log', async () => {
    const env = await compose(workspace({ contextEnv: JSON.stringify({ LD_PRELOAD: 'x', KEPT: 'y' }) }));
    assert.equal(env.LD_PRELOAD, undefined);
    assert.equal(env.KEPT, 'y');
    assert.match(warnings.join('\n'), /"name":"LD_PRELOAD".*context URL variable left out/);
  });

  test('a value sealed with a key no longer in the ring fails the start, naming the variable', async () => {
    const stranger = (await repos.users.create({ name: 'stranger', passwordHash: null, admin: false })).id;
    const otherRing = await loadKeyRing([{ id: 'old', key: Buffer.alloc(32, 7).toString('base64') }], dir);
    await repos.envVars.upsert(stranger, 'LOST', '*/*', otherRing.seal('v'));
    await assert.rejects(compose(workspace({ ownerId: stranger })), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'failed_precondition');
      assert.match(e.message, /^your variable LOST \(\*\/\*\) cannot be read: .*key old.* — or set it again/);
      return true;
    });
  });
});

describe('supervisorConfigEnv', () => {
  const config = (env: Record<string, string>): SupervisorConfigInput => ({
    workspaceId: 'w',
    instanceId: 'i',
    ownerId: 'o',
    token: 't'.repeat(32),
    workspaceUrl: 'http://w.ws.localhost',
    user: 'gitpod',
    checkoutLocation: '/workspace/app',
    contentInit: { kind: 'empty' },
    env,
    tasks: [],
  });

  test('the configuration as JSON in one variable', () => {
    const env = supervisorConfigEnv(config({ A: 'b' }));
    assert.deepEqual(JSON.parse(env[SUPERVISOR_CONFIG_ENV] ?? ''), config({ A: 'b' }));
  });

  test('too large to pass to a process: refused, naming the largest variables', () => {
    const big = config({ CERT: 'x'.repeat(MAX_SUPERVISOR_CONFIG_BYTES), SMALL: 'y', KEY: 'z'.repeat(4096) });
    assert.throws(
      () => supervisorConfigEnv(big),
      (e: Error & { code?: string }) =>
        e.code === 'failed_precondition' &&
        /more than the 120 KiB .* \(largest: CERT \(120 KiB\), KEY \(4 KiB\), SMALL \(1 KiB\)\)$/.test(
          e.message,
        ),
    );
  });
});
