// Test fixture: the dialects every repository test runs on (an SQLite temp file and one MariaDB per
// test file, a fresh database per suite), and a clock the test moves by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type DatabaseHandle, openDatabase } from '../connect.js';
import type { DialectName } from '../dialect.js';
import { migrateToLatest } from '../migrations/migrate.js';
import { Repositories } from '../repositories/repositories.js';
import { hasMariaDb, startTestMariaDb, type TestMariaDb } from './mariadb.js';

export const MARIADB_MISSING = 'mariadbd not installed: run scripts/setup.sh test';

export interface DialectTarget {
  dialect: DialectName;
  /** set when this dialect's tests are skipped */
  skip?: string;
  /** a new, empty database (not migrated) */
  open(): Promise<DatabaseHandle>;
}

export interface DialectTargets {
  targets: DialectTarget[];
  /** the MariaDB server, when one runs */
  mariadb: TestMariaDb | undefined;
  stop(): Promise<void>;
}

/**
 * SQLite always; MariaDB when installed. Without mariadbd the MySQL tests are skipped, except
 * under CI, where opening the database fails the tests instead.
 */
export async function dialectTargets(): Promise<DialectTargets> {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-db-test-'));
  let files = 0;
  const sqlite: DialectTarget = {
    dialect: 'sqlite',
    open: () => openDatabase({ sqlite: { path: join(dir, `test-${++files}.db`) } }, { dataDir: dir }),
  };
  const mariadb = hasMariaDb() ? await startTestMariaDb() : undefined;
  const mysql: DialectTarget = {
    dialect: 'mysql',
    ...(mariadb || process.env.CI ? {} : { skip: MARIADB_MISSING }),
    open: async () => {
      if (!mariadb) throw new Error(MARIADB_MISSING);
      return openDatabase({ mysql: await mariadb.newDatabase() }, { dataDir: dir });
    },
  };
  return {
    targets: [sqlite, mysql],
    mariadb,
    stop: async () => {
      await mariadb?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For the suite it is called in: a migrated database of `target` opened before its tests and
 * closed after them; `repos` are its repositories on `clock` (read them inside the tests).
 */
export function repositoriesFor(target: DialectTarget, clock: TestClock): { readonly repos: Repositories } {
  let handle: DatabaseHandle | undefined;
  let repos: Repositories | undefined;
  before(async () => {
    handle = await target.open();
    await migrateToLatest(handle.db);
    repos = new Repositories(handle.db, clock.now);
  });
  after(() => handle?.close());
  return {
    get repos(): Repositories {
      if (!repos) throw new Error("the database opens in the suite's before hook; use repos inside tests");
      return repos;
    },
  };
}

/** A clock that stands still until the test moves it. */
export class TestClock {
  private time: number;
  constructor(start = '2030-01-01T00:00:00.000Z') {
    this.time = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.time);
  advance(ms: number): void {
    this.time += ms;
  }
}
