// Test harness: a throwaway MariaDB server on loopback with its own data directory, stopped by PID.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError, type MysqlConfig } from '@atelier/protocol';
import { createConnection } from 'mysql2/promise';

const run = promisify(execFile);
const START_TIMEOUT_MS = 30_000;

export interface TestMariaDb {
  /** a database `atelier` and a user that may create further databases */
  config: MysqlConfig;
  /** creates another empty database on the same server, for a test suite of its own */
  newDatabase(): Promise<MysqlConfig>;
  /** the server's process id and its temporary folder (data, socket, error.log) */
  pid: number;
  dir: string;
  /** kills the server by PID, waits for it to exit and removes the folder */
  stop(): Promise<void>;
}

/** Finds a program on PATH or in the sbin folders, where Debian puts mariadbd. */
function findProgram(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const folder of folders.filter(Boolean)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder; try the next
    }
  }
  return undefined;
}

export function hasMariaDb(): boolean {
  return findProgram('mariadbd') !== undefined && findProgram('mariadb-install-db') !== undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tail(path: string): string {
  if (!existsSync(path)) return '(no error log)';
  return readFileSync(path, 'utf8').trim().split('\n').slice(-8).join('\n');
}

const asRoot = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

/** Starts a MariaDB server in a temporary folder (on /dev/shm when there is one, for speed). */
export async function startTestMariaDb(): Promise<TestMariaDb> {
  const mariadbd = findProgram('mariadbd');
  const installDb = findProgram('mariadb-install-db');
  if (!mariadbd || !installDb) {
    throw new AppError('failed_precondition', 'mariadbd not installed: run scripts/setup.sh test');
  }
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'atelier-mariadb-'));
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tmp'));
  try {
    await run(installDb, [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      // A tmpdir of its own: bootstraps sharing /tmp crash now and then (signal 11 in ha_maria).
      `--tmpdir=${join(dir, 'tmp')}`,
      ...asRoot(),
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
  } catch (error) {
    cleanUp();
    const output = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
    const lines = output.trim().split('\n');
    throw new AppError('unavailable', `mariadb-install-db failed:\n${lines.slice(0, 12).join('\n')}`);
  }
  const port = await freePort();
  const child = spawn(mariadbd, serverArgs(dir, port), { stdio: 'ignore' });
  // Do not keep the test process alive for the server; kill it when the process exits anyway.
  child.unref();
  const killOnExit = () => {
    child.kill('SIGKILL');
    cleanUp();
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopServer(child);
    cleanUp();
  };
  try {
    await waitForServer(child, port, join(dir, 'error.log'));
    return { ...(await prepare(port)), pid: child.pid ?? 0, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function serverArgs(dir: string, port: number): string[] {
  return [
    '--no-defaults',
    `--datadir=${join(dir, 'data')}`,
    `--tmpdir=${join(dir, 'tmp')}`,
    ...asRoot(),
    '--bind-address=127.0.0.1',
    `--port=${port}`,
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=16M',
    '--skip-log-bin',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    `--log-error=${join(dir, 'error.log')}`,
  ];
}

async function waitForServer(child: ChildProcess, port: number, errorLog: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new AppError('unavailable', `mariadbd exited while starting:\n${tail(errorLog)}`);
    }
    try {
      const connection = await createConnection({ host: '127.0.0.1', port, user: 'root' });
      await connection.end();
      return;
    } catch {
      // not accepting connections yet; poll again shortly
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new AppError('unavailable', `mariadbd did not accept connections within 30 s:\n${tail(errorLog)}`);
}

async function prepare(port: number): Promise<Pick<TestMariaDb, 'config' | 'newDatabase'>> {
  const username = 'atelier';
  const password = randomBytes(12).toString('hex');
  const root = await createConnection({ host: '127.0.0.1', port, user: 'root' });
  try {
    await root.query(`CREATE USER '${username}'@'%' IDENTIFIED BY '${password}'`);
    await root.query(`GRANT ALL ON *.* TO '${username}'@'%'`);
  } finally {
    await root.end();
  }
  const base: MysqlConfig = {
    host: '127.0.0.1',
    port,
    username,
    password,
    database: 'atelier',
    tls: false,
    connectionLimit: 10,
  };
  let count = 0;
  const newDatabase = async (): Promise<MysqlConfig> => {
    const database = count === 0 ? 'atelier' : `atelier_${count}`;
    count++;
    const connection = await createConnection({ host: '127.0.0.1', port, user: username, password });
    try {
      await connection.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
    } finally {
      await connection.end();
    }
    return { ...base, database };
  };
  const config = await newDatabase();
  return { config, newDatabase };
}

/** SIGKILL by PID: the data is thrown away, so a clean shutdown (over a second) buys nothing. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.ref(); // keep the process alive until the exit is seen
  if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  await exited;
}
