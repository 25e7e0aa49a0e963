// Opening the database and migrating it, on SQLite and on MariaDB.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppError, type UserId, type WorkspaceId } from '@atelier/protocol';
import { sql } from 'kysely';
import { openDatabase } from './connect.js';
import { migrateToLatest } from './migrations/migrate.js';
import { Repositories } from './repositories/repositories.js';
import { dialectTargets } from './testing/dialects.js';

const fixture = await dialectTargets();
const scratch = mkdtempSync(join(tmpdir(), 'atelier-connect-test-'));
after(async () => {
  await fixture.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const TABLES = [
  'access_tokens',
  'auth_providers',
  'backups',
  'identities',
  'instance_logs',
  'oauth_flows',
  'scm_tokens',
  'sessions',
  'system_settings',
  'user_env_vars',
  'user_ssh_keys',
  'users',
  'workspace_instances',
  'workspace_ports',
  'workspaces',
];

describe('openDatabase on sqlite', () => {
  test('defaults to <dataDir>/atelier.db, creating the folder, with WAL, busy timeout and foreign keys', async () => {
    const dataDir = join(scratch, 'nested', 'data');
    const handle = await openDatabase({ sqlite: {} }, { dataDir });
    try {
      assert.equal(handle.dialect, 'sqlite');
      assert.ok(existsSync(join(dataDir, 'atelier.db')));
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(handle.db)).rows[0] ?? {})[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('busy_timeout'), 5000);
      assert.equal(await pragma('foreign_keys'), 1);
    } finally {
      await handle.close();
    }
  });

  test('an unusable path is a clear error', async () => {
    await assert.rejects(
      openDatabase({ sqlite: { path: '/dev/null/atelier.db' } }, { dataDir: scratch }),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'unavailable' &&
        /cannot open the SQLite database at \/dev\/null\/atelier\.db: .* check database\.sqlite\.path/.test(
          e.message,
        ),
    );
  });
});

const mysqlSkip = fixture.targets.find((t) => t.dialect === 'mysql')?.skip;
describe('openDatabase on mysql', { skip: mysqlSkip }, () => {
  test('a wrong password names host and port and never the password', async () => {
    const config = fixture.mariadb?.config;
    assert.ok(config, 'MariaDB is running');
    const password = 'wrong-secret-password';
    await assert.rejects(
      openDatabase({ mysql: { ...config, password } }, { dataDir: scratch }),
      (e: unknown) => {
        assert.ok(e instanceof AppError);
        assert.equal(e.code, 'unavailable');
        assert.match(
          e.message,
          /^cannot reach MySQL at 127\.0\.0\.1:\d+: Access denied.* — check database\.mysql/,
        );
        assert.ok(!JSON.stringify({ ...e, message: e.message, cause: String(e.cause) }).includes(password));
        return true;
      },
    );
  });

  test('a closed port is a clear error', async () => {
    const config = fixture.mariadb?.config;
    assert.ok(config);
    await assert.rejects(
      openDatabase({ mysql: { ...config, port: 1 } }, { dataDir: scratch }),
      (e: unknown) =>
        e instanceof AppError && /cannot reach MySQL at 127\.0\.0\.1:1: .*ECONNREFUSED/.test(e.message),
    );
  });
});

for (const target of fixture.targets) {
  describe(`migrations on ${target.dialect}`, { skip: target.skip }, () => {
    test('apply once, then are a no-op; text is utf8mb4-safe', async () => {
      const handle = await target.open();
      try {
        assert.deepEqual(await migrateToLatest(handle.db), [
          '0001_initial',
          '0002_workspace_config',
          '0003_ports_env_logs',
          '0004_ssh_keys_sharing',
          '0005_ide_activity',
          '0006_identities',
          '0007_workspace_context',
          '0008_auth_provider_scheme',
        ]);
        assert.deepEqual(await migrateToLatest(handle.db), []);
        const tables = (await handle.db.introspection.getTables()).map((t) => t.name).sort();
        assert.deepEqual(tables, TABLES);
        const repos = new Repositories(handle.db);
        const description = 'naïve 🚀 ünïcödé';
        const id = 'o-r-unicode1' as WorkspaceId;
        const ownerId = 'a0000000-0000-4000-8000-000000000001' as UserId;
        await repos.workspaces.create({
          id,
          ownerId,
          contextUrl: 'u',
          cloneUrl: 'u',
          ref: null,
          description,
        });
        assert.equal((await repos.workspaces.get(id))?.description, description);
      } finally {
        await handle.close();
      }
    });

    test('two processes migrating at once apply each migration exactly once', async () => {
      const first = await target.open();
      try {
        const results =
          target.dialect === 'sqlite'
            ? await migrateInChildren([await sqlitePath(first), await sqlitePath(first)])
            : await Promise.all([migrateToLatest(first.db), migrateWithSecondPool(await currentDb(first))]);
        assert.deepEqual(results.flat().sort(), [
          '0001_initial',
          '0002_workspace_config',
          '0003_ports_env_logs',
          '0004_ssh_keys_sharing',
          '0005_ide_activity',
          '0006_identities',
          '0007_workspace_context',
          '0008_auth_provider_scheme',
        ]);
        assert.deepEqual(await migrateToLatest(first.db), []);
      } finally {
        await first.close();
      }
    });

    test('a failing migration is named in the error', async () => {
      const handle = await target.open();
      try {
        await sql`create table users (id integer)`.execute(handle.db);
        await assert.rejects(
          migrateToLatest(handle.db),
          (e: unknown) =>
            e instanceof AppError &&
            e.code === 'internal' &&
            /database migration 0001_initial failed/.test(e.message),
        );
      } finally {
        await handle.close();
      }
    });
  });
}

function fail(): never {
  throw new Error('MariaDB is not running');
}

type Handle = Awaited<ReturnType<typeof openDatabase>>;

async function sqlitePath(handle: Handle): Promise<string> {
  const query = sql<{ file: string }>`select file from pragma_database_list where name = 'main'`;
  return (await query.execute(handle.db)).rows[0]?.file ?? fail();
}

async function currentDb(handle: Handle): Promise<string> {
  return (await sql<{ name: string }>`select database() as name`.execute(handle.db)).rows[0]?.name ?? fail();
}

async function migrateWithSecondPool(database: string): Promise<string[]> {
  const config = fixture.mariadb?.config ?? fail();
  const second = await openDatabase({ mysql: { ...config, database } }, { dataDir: scratch });
  try {
    return await migrateToLatest(second.db);
  } finally {
    await second.close();
  }
}

/** SQLite is synchronous in one process, so real contention needs two processes. */
const CHILD = `
import { createInterface } from 'node:readline';
import { migrateToLatest, openDatabase } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
const handle = await openDatabase({ sqlite: { path: process.argv[2] } }, { dataDir: '.' });
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
console.log('ready');
await lines.next();
console.log(JSON.stringify(await migrateToLatest(handle.db)));
await handle.close();
// a child program, not a test: it ends here so that the parent sees it finish at once
process.exit(0);
`;

/** Starts one child per path, lets them all go at once when every one is ready, returns each output. */
async function migrateInChildren(paths: string[]): Promise<string[][]> {
  const script = join(scratch, 'migrate-child.mjs');
  writeFileSync(script, CHILD);
  const cwd = fileURLToPath(new URL('../../..', import.meta.url));
  const children = paths.map((path) => spawn(process.execPath, ['--import', 'tsx', script, path], { cwd }));
  const outputs = children.map((child) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', () => out.includes('ready') && resolve()),
    );
    const done = new Promise<string>((resolve, reject) =>
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}`)),
      ),
    );
    return { child, ready, done };
  });
  await Promise.all(outputs.map((o) => o.ready));
  for (const { child } of outputs) child.stdin.write('go\n');
  const texts = await Promise.all(outputs.map((o) => o.done));
  return texts.map((text) => JSON.parse(text.split('\n')[1] ?? 'null') as string[]);
}
