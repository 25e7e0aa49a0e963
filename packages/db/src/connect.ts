// Opens the configured database (an SQLite file by default, or a MySQL pool) as one Kysely instance.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError, type DatabaseConfig, type MysqlConfig } from '@atelier/protocol';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, MysqlDialect, SqliteDialect, sql } from 'kysely';
import { createPool, type PoolOptions } from 'mysql2';
import type { DialectName } from './dialect.js';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

export async function openDatabase(
  config: DatabaseConfig,
  opts: { dataDir: string },
): Promise<DatabaseHandle> {
  if ('mysql' in config) return openMysql(config.mysql);
  return openSqlite(config.sqlite.path ?? join(opts.dataDir, 'atelier.db'));
}

function handle(db: Kysely<Database>, dialect: DialectName): DatabaseHandle {
  return { db, dialect, close: () => db.destroy() };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function openSqlite(path: string): DatabaseHandle {
  let database: SqliteDatabase.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    database = new SqliteDatabase(path);
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    throw new AppError(
      'unavailable',
      `cannot open the SQLite database at ${path}: ${reasonOf(error)} — check database.sqlite.path or dataDir`,
      undefined,
      { cause: error },
    );
  }
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database }),
    plugins: [new CamelCasePlugin()],
  });
  return handle(db, 'sqlite');
}

/** mysql2 `ssl` from the config's `tls`; `ca` is PEM text or the path of a PEM file. */
function sslOptions(tls: MysqlConfig['tls']): PoolOptions['ssl'] {
  if (tls === false) return undefined;
  if (tls === true) return { rejectUnauthorized: true };
  const ca = tls.ca === undefined || tls.ca.includes('-----BEGIN') ? tls.ca : readFileSync(tls.ca, 'utf8');
  return { rejectUnauthorized: tls.rejectUnauthorized, ...(ca === undefined ? {} : { ca }) };
}

async function openMysql(config: MysqlConfig): Promise<DatabaseHandle> {
  const where = `${config.host}:${config.port}`;
  const fail = (error: unknown) => {
    // Server messages do not echo the password, but never let it through if one ever did.
    const reason = config.password ? reasonOf(error).split(config.password).join('***') : reasonOf(error);
    return new AppError(
      'unavailable',
      `cannot reach MySQL at ${where}: ${reason} — check database.mysql in the config`,
    );
  };
  let ssl: PoolOptions['ssl'];
  try {
    ssl = sslOptions(config.tls);
  } catch (error) {
    throw fail(error);
  }
  const pool = createPool({
    host: config.host,
    port: config.port,
    user: config.username,
    password: config.password,
    database: config.database,
    connectionLimit: config.connectionLimit,
    timezone: 'Z',
    charset: 'utf8mb4',
    ...(ssl === undefined ? {} : { ssl }),
  });
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }), plugins: [new CamelCasePlugin()] });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy();
    throw fail(error);
  }
  return handle(db, 'mysql');
}
