// The MariaDB harness itself: it serves the database it describes, and stop() leaves nothing behind.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { MysqlConfig } from '@atelier/protocol';
import { createConnection } from 'mysql2/promise';
import { MARIADB_MISSING } from './dialects.js';
import { hasMariaDb, startTestMariaDb } from './mariadb.js';

const options = (c: MysqlConfig) => ({
  host: c.host,
  port: c.port,
  user: c.username,
  password: c.password,
  database: c.database,
});
const skip = hasMariaDb() || process.env.CI ? undefined : MARIADB_MISSING;

test('startTestMariaDb serves its config; stop() kills the server and removes its folder', {
  skip,
}, async () => {
  const server = await startTestMariaDb();
  const { config } = server;
  try {
    assert.equal(config.host, '127.0.0.1');
    assert.ok(config.password.length >= 16);
    const other = await server.newDatabase();
    assert.notEqual(other.database, config.database);
    for (const c of [config, other]) {
      const connection = await createConnection(options(c));
      const [rows] = await connection.query('select database() as db, @@character_set_database as cs');
      await connection.end();
      assert.deepEqual(rows, [{ db: c.database, cs: 'utf8mb4' }]);
    }
  } finally {
    await server.stop();
  }
  assert.throws(() => process.kill(server.pid, 0), { code: 'ESRCH' });
  assert.equal(existsSync(server.dir), false);
  await assert.rejects(createConnection(options(config)), { code: 'ECONNREFUSED' });
});
