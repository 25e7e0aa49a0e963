// VS Code in the browser: installs the extensions the workspace asks for (Atelier's own first), then
// runs code-server on the container's loopback, restarts it when it dies, and reports its state.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { isAbsolute, join, resolve } from 'node:path';
import type { IdeStatusDetail } from '@atelier/protocol';
import type { Logger } from '../log.js';

export interface CodeServerOptions {
  node: string;
  entry: string;
  /** the folder or .code-workspace file VS Code opens */
  open: string;
  /** user data and extensions (below /workspace, so settings and extensions survive a restart) */
  dataDir: string;
  host: string;
  port: number;
  env: Record<string, string>;
  /** .vsix files every workspace gets */
  builtinExtensions: readonly string[];
  /** the configuration's vscode.extensions: ids or .vsix paths relative to repoRoot */
  extensions: readonly string[];
  repoRoot: string;
  openVsxUrl?: string;
  /** origins VS Code opens without asking (the workspace's port URLs: https://*.ws.<domain>) */
  trustedOrigins: readonly string[];
  logger: Logger;
}

type ExtensionStatus = IdeStatusDetail['extensions'][number];

const RESTART_LIMIT = 5;
const INSTALL_TIMEOUT_MS = 120_000;

export class CodeServer {
  private child: ChildProcess | undefined;
  private restarts = 0;
  private stopped = false;
  private readyWaiters: (() => void)[] = [];
  ready = false;
  error: string | null = null;
  extensions: ExtensionStatus[];

  constructor(private readonly opts: CodeServerOptions) {
    this.extensions = opts.extensions.map((id) => ({ id, installed: false, error: null }));
  }

  /** Installs extensions, then starts code-server and waits until it answers (or fails). */
  async start(): Promise<void> {
    const started = Date.now();
    mkdirSync(join(this.opts.dataDir, 'extensions'), { recursive: true });
    writeDefaultSettings(join(this.opts.dataDir, 'data', 'User'));
    await this.installBuiltins();
    await this.installConfigured();
    if (this.stopped) return;
    this.spawn();
    await this.waitHealthy();
    this.opts.logger.info({ ms: Date.now() - started, port: this.opts.port }, 'code-server ready');
  }

  /** Resolves once code-server answers; immediately when it already does. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    const pid = this.child?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone: nothing to stop
      }
    }
  }

  private baseArgs(): string[] {
    return [
      this.opts.entry,
      '--user-data-dir',
      join(this.opts.dataDir, 'data'),
      '--extensions-dir',
      join(this.opts.dataDir, 'extensions'),
      '--config',
      join(this.opts.dataDir, 'code-server.yaml'),
    ];
  }

  private childEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.opts.env, XDG_DATA_HOME: join(this.opts.dataDir, 'xdg') };
    if (this.opts.openVsxUrl) {
      const serviceUrl = this.opts.openVsxUrl.replace(/\/$/, '');
      env.EXTENSIONS_GALLERY = JSON.stringify({
        serviceUrl,
        itemUrl: serviceUrl.replace(/\/gallery$/, '/item'),
      });
    }
    return env;
  }

  /** Atelier's extension, reinstalled only when the .vsix changed (a stamp keeps its hash). */
  private async installBuiltins(): Promise<void> {
    const stampFile = join(this.opts.dataDir, 'builtin-extensions.json');
    let stamp: Record<string, string> = {};
    try {
      stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Record<string, string>;
    } catch {
      // no stamp yet (first start): every built-in extension is installed
    }
    for (const vsix of this.opts.builtinExtensions) {
      if (!existsSync(vsix)) {
        this.opts.logger.warn({ vsix }, 'built-in extension missing; VS Code starts without it');
        continue;
      }
      const hash = createHash('sha256').update(readFileSync(vsix)).digest('hex');
      if (stamp[vsix] === hash) continue;
      const result = await this.cli(['--install-extension', vsix, '--force']);
      if (result.code === 0) stamp[vsix] = hash;
      else
        this.opts.logger.warn(
          { vsix, output: result.output.slice(-2000) },
          'built-in extension not installed',
        );
    }
    writeFileSync(stampFile, JSON.stringify(stamp));
  }

  /** The configuration's extensions: a .vsix from the repository, or an id from the Open VSX gallery. */
  private async installConfigured(): Promise<void> {
    for (const status of this.extensions) {
      const spec = status.id;
      const isFile = /\.vsix$/i.test(spec);
      if (!isFile && !this.opts.openVsxUrl) {
        status.error =
          'not reachable: no extension gallery is configured (an administrator sets ide.openVsxUrl), and it is no .vsix in the repository';
        continue;
      }
      const target = isFile ? (isAbsolute(spec) ? spec : resolve(this.opts.repoRoot, spec)) : spec;
      if (isFile && !existsSync(target)) {
        status.error = `not found: ${target} does not exist in the workspace`;
        continue;
      }
      const result = await this.cli(['--install-extension', target]);
      status.installed = result.code === 0 && !/Failed Installing Extensions/i.test(result.output);
      status.error = status.installed ? null : lastLines(result.output) || `exit code ${result.code}`;
    }
    const failed = this.extensions.filter((e) => !e.installed);
    if (failed.length > 0) {
      this.opts.logger.warn(
        { extensions: failed.map((e) => e.id) },
        'some configured extensions are not installed',
      );
    }
  }

  private cli(args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(this.opts.node, [...this.baseArgs(), ...args], {
        env: this.childEnv(),
        cwd: this.opts.repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const add = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-16_384);
      };
      child.stdout.on('data', add);
      child.stderr.on('data', add);
      const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ code: -1, output: `${output}\n${e.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  private spawn(): void {
    const args = [
      ...this.baseArgs(),
      '--bind-addr',
      `${this.opts.host}:${this.opts.port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...(this.opts.trustedOrigins.length > 0
        ? ['--link-protection-trusted-domains', this.opts.trustedOrigins.join(',')]
        : []),
      this.opts.open,
    ];
    const child = spawn(this.opts.node, args, {
      env: this.childEnv(),
      cwd: this.opts.repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const log = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) this.opts.logger.info({ line: line.slice(0, 500) }, 'code-server');
      }
    };
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    child.on('error', (e) => this.died(`code-server could not start: ${e.message}`));
    child.on('exit', (code, signal) => this.died(`code-server exited (${signal ?? code})`));
  }

  private died(why: string): void {
    this.ready = false;
    if (this.stopped) return;
    this.opts.logger.warn({ why, restarts: this.restarts }, 'code-server died');
    if (this.restarts >= RESTART_LIMIT) {
      this.error = `${why}; gave up after ${RESTART_LIMIT} restarts`;
      return;
    }
    this.restarts++;
    setTimeout(() => {
      if (this.stopped) return;
      this.spawn();
      void this.waitHealthy();
    }, 1_000 * this.restarts).unref();
  }

  private async waitHealthy(): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (!this.stopped && Date.now() < deadline) {
      if (await healthy(this.opts.host, this.opts.port)) {
        this.ready = true;
        this.error = null;
        for (const wake of this.readyWaiters.splice(0)) wake();
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!this.stopped) this.error = 'code-server did not answer within 2 minutes';
  }
}

/**
 * The user's settings on a first start: straight to the code (no welcome page, no AI chat, no
 * telemetry); later starts keep whatever the user changed (the file is in /workspace, backed up).
 */
function writeDefaultSettings(dir: string): void {
  const file = join(dir, 'settings.json');
  if (existsSync(file)) return;
  mkdirSync(dir, { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'chat.disableAIFeatures': true,
    // the secondary side bar holds only the chat, which is off: no empty panel beside the editor
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    // Atelier's Ports view lists the ports; VS Code's own forwarding would announce them twice
    'remote.autoForwardPorts': false,
    'update.mode': 'none',
  };
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

function healthy(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/healthz', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const lastLines = (text: string) => text.trim().split('\n').slice(-3).join(' ').slice(0, 500);
