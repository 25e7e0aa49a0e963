// Runs the real `atelier` CLI as a child process for end-to-end tests: start, kill -9, restart,
// CLI calls on the same data, and a clean-up of every container this installation created.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { request, trustCa } from './http.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'packages/atelier/bin/atelier.mjs');
const run = promisify(execFile);

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export interface AtelierOptions {
  name: string;
  /** YAML appended under `workspace.timeouts:` and similar; plain YAML text */
  extraConfig?: string;
  /**
   * the default IDE: `terminal` (the terminal page, most tests) or `code` (VS Code, installed once
   * by setup.sh into .cache/ide and shared by every test process)
   */
  ide?: 'terminal' | 'code';
}

export class AtelierProcess {
  readonly dataDir: string;
  readonly configFile: string;
  readonly logFile: string;
  port = 0;
  /** the SSH gateway's port (a free one, so that test processes do not meet on 2222) */
  sshPort = 0;
  /** https when the config turns TLS on (read from the start-up banner) */
  scheme: 'http' | 'https' = 'http';
  /** tls.mode local-ca: the exported CA certificate, trusted by this process's `request` */
  caCertPath: string | undefined;
  setupCode: string | undefined;
  private child: ChildProcess | undefined;

  private constructor(readonly opts: AtelierOptions) {
    this.dataDir = mkdtempSync(join(tmpdir(), `atelier-e2e-${opts.name}-`));
    this.configFile = join(this.dataDir, 'atelier.yaml');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    this.logFile = join(ROOT, 'test-results', `e2e-${opts.name}.log`);
  }

  static async start(opts: AtelierOptions): Promise<AtelierProcess> {
    const a = new AtelierProcess(opts);
    a.port = await freePort();
    a.sshPort = await freePort();
    writeFileSync(
      a.configFile,
      [
        'domain: localhost',
        `port: ${a.port}`,
        `dataDir: ${a.dataDir}`,
        'log: { level: debug }',
        `ssh: { port: ${a.sshPort} }`,
        `ide: { default: ${opts.ide ?? 'terminal'}, installDir: ${join(ROOT, '.cache', 'ide')} }`,
        'workspace:',
        '  runtime:',
        '    docker:',
        '      network: "slirp4netns:allow_host_loopback=true"',
        '      hostLoopback: 10.0.2.2',
        '  resources: { cpu: 1, memory: 1Gi }',
        opts.extraConfig ?? '',
      ].join('\n'),
    );
    await a.launch();
    return a;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('atelier is not running');
    return this.child.pid;
  }

  get url(): string {
    return `${this.scheme}://localhost:${this.port}`;
  }

  /** Starts the process and resolves once it prints that it is running. */
  async launch(): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [BIN, 'up', '--config', this.configFile], {
      cwd: ROOT,
      env: { ...process.env, ATELIER_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.pipe(log);
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`atelier did not start in 60 s; see ${this.logFile}`)),
        60_000,
      );
      child.stderr?.on('data', (chunk: Buffer) => {
        log.write(chunk);
        banner += chunk.toString();
        const code = /setup code\s+(\S+)/.exec(banner);
        if (code) this.setupCode = code[1];
        const running = /Atelier is running at (https?):/.exec(banner);
        if (running) this.scheme = running[1] as 'http' | 'https';
        const ca = /local CA: (\S+)/.exec(banner);
        if (ca) this.caCertPath = ca[1];
        if (
          /Atelier is running at/.test(banner) &&
          /\n\s*\n/.test(banner.slice(banner.indexOf('Atelier is running')))
        ) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`atelier exited with ${code} while starting; see ${this.logFile}`));
      });
    });
    if (this.caCertPath) trustCa(readFileSync(this.caCertPath, 'utf8'));
    const health = await request(`${this.url}/api/v1/health`);
    if (health.status !== 200) throw new Error(`atelier is not healthy: ${health.status} ${health.body}`);
  }

  /** SIGKILL: no clean-up code of atelier runs. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) await this.kill9();
  }

  /** Runs `atelier <args>` on the same config and data. */
  async cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(process.execPath, [BIN, ...args, '--config', this.configFile], { cwd: ROOT });
  }

  async createUser(name: string, admin = false): Promise<string> {
    await this.cli(
      'admin',
      'user',
      'create',
      '--name',
      name,
      '--password',
      `${name}-password-1`,
      ...(admin ? ['--admin'] : []),
    );
    const { stdout } = await this.cli('admin', 'token', 'create', '--user', name);
    return stdout.trim();
  }

  installationId(): string | undefined {
    const db = new Database(join(this.dataDir, 'atelier.db'), { readonly: true });
    try {
      const row = db.prepare("select value from system_settings where name = 'installation_id'").get() as
        | { value: string }
        | undefined;
      return row?.value;
    } finally {
      db.close();
    }
  }

  /** Stops the process and removes every container and volume of this installation. */
  async dispose(): Promise<void> {
    await this.stop();
    const id = this.installationId();
    if (!id) return;
    const filter = `label=io.atelier.installation=${id}`;
    const { stdout } = await run('podman', ['ps', '-aq', '--filter', filter]);
    const ids = stdout.split('\n').filter(Boolean);
    // the workspaces' own logs (supervisor, code-server) beside the process's, for a failed run
    const logs: string[] = [];
    for (const container of ids) {
      const out = await run('podman', ['logs', container]).catch(() => ({ stdout: '', stderr: '' }));
      logs.push(`== container ${container}\n${out.stdout}${out.stderr}`);
    }
    if (logs.length) writeFileSync(this.logFile.replace(/\.log$/, '-workspaces.log'), logs.join('\n'));
    if (ids.length) await run('podman', ['rm', '-f', ...ids]);
    const vols = (await run('podman', ['volume', 'ls', '-q', '--filter', filter])).stdout
      .split('\n')
      .filter(Boolean);
    if (vols.length) await run('podman', ['volume', 'rm', '-f', ...vols]);
  }
}
