// Reads a devcontainer.json (https://containers.dev/implementors/json_reference/) into the one
// WorkspaceConfig shape. It refuses what would reach past the container (host mounts, privileges,
// commands on the host) and reports every problem with the line and column of its key or value.
//
// Lifecycle commands become one task named 'devcontainer'. The supervisor runs a task as
// `before && init && command` on a fresh start (and `before && init` in a prebuild), and as
// `before && command` after a restore from backup, so:
//   init    = onCreateCommand && updateContentCommand && postCreateCommand   (once per workspace)
//   command = postStartCommand && postAttachCommand                          (every start)
// `before` stays empty: postStartCommand there would run ahead of onCreateCommand on a fresh start,
// against the spec's order. A command that fails stops the ones after it, as in the spec. Each
// command may be a shell string, an argv array (joined with shell quoting), or an object of named
// commands the spec runs in parallel: here `( a & p0=$!; ( b; c ) & p1=$!; … )`, which waits for all
// of them and fails when one fails.
import {
  findNodeAtLocation,
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { z } from 'zod';
import { joinStages, toShell } from './lifecycle.js';
import { type ConfigProblem, configError, formatPath, insideWorkspace } from './problems.js';
import type {
  ConfigWarning,
  FeatureConfig,
  ImageConfig,
  PortConfig,
  TaskConfig,
  WorkspaceConfig,
} from './types.js';

/** A strict object whose unknown keys are reported one by one, with the keys it allows. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = `allowed: ${Object.keys(shape).join(', ')}`;
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? allowed : undefined),
  });
}

const stringRecord = z.record(z.string(), z.string());
const argv = z.array(z.string()).min(1);
const COMMAND_EXPECTED = 'expected a command: a string, an array of strings, or an object of named commands';
const namedCommands = z.record(
  z.string(),
  z.union([z.string(), argv], { error: 'expected a command string or an array of strings' }),
  { error: COMMAND_EXPECTED },
);
const command = z.union([z.string(), argv, namedCommands]);

const portAttributes = strict({
  label: z.string().optional(),
  onAutoForward: z
    .enum(['notify', 'openBrowser', 'openBrowserOnce', 'openPreview', 'silent', 'ignore'])
    .optional(),
  protocol: z.enum(['http', 'https']).optional(),
  requireLocalPort: z.boolean().optional(),
  elevateIfNeeded: z.boolean().optional(),
});
type PortAttributes = z.infer<typeof portAttributes>;
const feature = z.union([z.string(), z.record(z.string(), z.union([z.string(), z.boolean()]))], {
  error: 'expected a version string or an object of string or boolean options',
});

const LIFECYCLE = [
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
  'postAttachCommand',
] as const;

/** Every key Atelier reads or knowingly ignores; each is validated on its own. */
const fields = {
  $schema: z.string(),
  name: z.string(),
  image: z.string().min(1),
  build: strict({
    dockerfile: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    args: stringRecord.optional(),
    target: z.string().min(1).optional(),
    cacheFrom: z.union([z.string(), z.array(z.string())]).optional(),
  }),
  dockerFile: z.string().min(1),
  context: z.string().min(1),
  features: z.record(z.string(), feature),
  overrideFeatureInstallOrder: z.array(z.string()),
  forwardPorts: z.array(
    z.union([z.number(), z.string()], { error: 'expected a port number or a "localhost:port" string' }),
  ),
  portsAttributes: z.record(z.string(), portAttributes),
  otherPortsAttributes: portAttributes,
  containerEnv: stringRecord,
  remoteEnv: stringRecord,
  containerUser: z.string().min(1),
  remoteUser: z.string().min(1),
  workspaceFolder: z.string().min(1),
  onCreateCommand: command,
  updateContentCommand: command,
  postCreateCommand: command,
  postStartCommand: command,
  postAttachCommand: command,
  customizations: z.looseObject({
    vscode: z.looseObject({ extensions: z.array(z.string().min(1)).optional() }).optional(),
  }),
  hostRequirements: z.record(z.string(), z.unknown()),
  shutdownAction: z.enum(['none', 'stopContainer', 'stopCompose']),
  waitFor: z.enum(['initializeCommand', ...LIFECYCLE]),
  userEnvProbe: z.enum(['none', 'loginShell', 'loginInteractiveShell', 'interactiveShell']),
  updateRemoteUserUID: z.boolean(),
  overrideCommand: z.boolean(),
  init: z.boolean(),
};
type Devcontainer = { -readonly [K in keyof typeof fields]?: z.output<(typeof fields)[K]> };
/** Objects checked entry by entry, so that one bad entry does not hide the problems of the others. */
const ENTRIES: Partial<Record<string, z.ZodType>> = { features: feature, portsAttributes: portAttributes };

const COMPOSE = 'Docker Compose dev containers are not supported yet; give image or build.dockerfile';
/** Keys that would reach past the container: never honoured, never silently dropped. */
const REFUSED: Record<string, string> = {
  mounts:
    'mounts bind host folders and volumes into the container, which Atelier never does; copy what you need in the Dockerfile or a lifecycle command',
  workspaceMount:
    'workspaceMount changes how the repository is mounted; Atelier always checks it out below /workspace (use workspaceFolder to choose the folder to open)',
  privileged: 'privileged containers can take over the host; Atelier never runs a workspace privileged',
  capAdd: 'extra Linux capabilities weaken the isolation from the host; Atelier grants none',
  securityOpt:
    'security options (seccomp, AppArmor, SELinux) are set by the installation, not by a repository',
  runArgs:
    'raw container engine arguments would bypass Atelier; use image, build, features or containerEnv instead',
  initializeCommand:
    'initializeCommand runs on the host, which Atelier never does for a repository; move it into onCreateCommand',
  dockerComposeFile: COMPOSE,
  service: COMPOSE,
  runServices: COMPOSE,
  appPort: 'appPort publishes a port on the host; use forwardPorts, which Atelier serves through its proxy',
};

export function parseDevcontainer(text: string, file: string): WorkspaceConfig {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const problems = new Problems(file, text, root);
  for (const e of errors) {
    const what = printParseErrorCode(e.error)
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    problems.atOffset(e.offset, '', `syntax error: ${what}`);
  }
  if (errors.length > 0) throw configError(problems.sorted());
  if (root?.type !== 'object') {
    problems.atOffset(root?.offset ?? 0, '', 'expected a JSON object { … } at the top of the file');
    throw configError(problems.sorted());
  }
  const dc = readFields(root, problems);
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  const image = readImage(dc, (path) => findNodeAtLocation(root, path) !== undefined, dir, problems);
  const features = readFeatures(dc, dir, problems);
  const ports = readPorts(dc, problems);
  const workspaceLocation = readWorkspaceFolder(dc, problems);
  if (problems.list.length > 0) throw configError(problems.sorted());
  const warnings: ConfigWarning[] = [];
  if (dc.otherPortsAttributes) {
    warnings.push({ file, message: 'otherPortsAttributes is ignored: ports not listed get the defaults' });
  }
  if (dc.hostRequirements) {
    warnings.push({
      file,
      message: 'hostRequirements is not enforced: the workspace gets the resources of its workspace class',
    });
  }
  return {
    origin: 'devcontainer',
    file,
    // image is undefined only together with a problem, and problems were thrown above
    image: image ?? { kind: 'default' },
    features,
    tasks: readTasks(dc),
    ports,
    env: { ...dc.containerEnv, ...dc.remoteEnv },
    checkoutLocation: undefined,
    workspaceLocation,
    user: dc.remoteUser ?? dc.containerUser,
    gitConfig: {},
    vscodeExtensions: dc.customizations?.vscode?.extensions ?? [],
    additionalRepositories: [],
    warnings,
  };
}

/** Problems with their places: a path in the tree, pointing at its value or at its key. */
class Problems {
  readonly list: ConfigProblem[] = [];
  private readonly lineStarts = [0];

  constructor(
    private readonly file: string,
    text: string,
    readonly root: Node | undefined,
  ) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  atNode(node: Node, path: readonly (string | number)[], message: string): void {
    this.atOffset(node.offset, formatPath(path), message);
  }

  atOffset(offset: number, path: string, message: string): void {
    let line = 0;
    while (line + 1 < this.lineStarts.length && (this.lineStarts[line + 1] ?? 0) <= offset) line++;
    const column = offset - (this.lineStarts[line] ?? 0) + 1;
    this.list.push({ file: this.file, line: line + 1, column, path, message });
  }

  /** At the value of `path` (or its nearest existing parent), or at its key when `key` is set. */
  at(path: readonly (string | number)[], message: string, key = false): void {
    let node: Node | undefined;
    for (let n = path.length; n >= 0 && !node; n--) {
      node = this.root && findNodeAtLocation(this.root, path.slice(0, n));
    }
    if (key && node?.parent?.type === 'property') node = node.parent.children?.[0];
    this.atOffset(node?.offset ?? 0, formatPath(path), message);
  }

  zodIssue(prefix: readonly (string | number)[], iss: z.core.$ZodIssue): void {
    const path = [...prefix, ...iss.path.filter((p) => typeof p !== 'symbol')];
    if (iss.code === 'unrecognized_keys') {
      for (const k of iss.keys) this.at([...path, k], `unknown key '${k}'; ${iss.message}`, true);
    } else this.at(path, iss.message.replace(/^Invalid input: /, ''));
  }

  sorted(): ConfigProblem[] {
    return [...this.list].sort((a, b) => a.line - b.line || a.column - b.column);
  }
}

function readFields(root: Node, problems: Problems): Devcontainer {
  const dc: Record<string, unknown> = {};
  const allowed = `allowed: ${Object.keys(fields).join(', ')}`;
  const seen = new Set<string>();
  for (const prop of root.children ?? []) {
    const [keyNode, valueNode] = prop.children ?? [];
    if (!keyNode || !valueNode) continue;
    const key = String(keyNode.value);
    if (seen.has(key)) problems.atNode(keyNode, [key], `duplicate key '${key}'; give each key once`);
    seen.add(key);
    const refused = Object.hasOwn(REFUSED, key) ? REFUSED[key] : undefined;
    if (refused !== undefined) problems.atNode(keyNode, [key], refused);
    else if (!Object.hasOwn(fields, key)) problems.atNode(keyNode, [key], `unknown key '${key}'; ${allowed}`);
    if (refused !== undefined || !Object.hasOwn(fields, key)) continue;
    const value: unknown = getNodeValue(valueNode);
    const entry = ENTRIES[key];
    if (entry && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      dc[key] = readEntries(key, value, entry, problems);
      continue;
    }
    const result = schemaFor(key as keyof typeof fields, value).safeParse(value);
    if (result.success) dc[key] = result.data;
    else for (const iss of result.error.issues) problems.zodIssue([key], iss);
  }
  return dc as Devcontainer;
}

function readEntries(key: string, value: object, schema: z.ZodType, problems: Problems) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const result = schema.safeParse(v);
    if (result.success) out[k] = result.data;
    else for (const iss of result.error.issues) problems.zodIssue([key, k], iss);
  }
  return out;
}

/** A lifecycle command's schema follows the value's JSON type, so its errors say what is wrong inside it. */
function schemaFor(key: keyof typeof fields, value: unknown): z.ZodType {
  if (!(LIFECYCLE as readonly string[]).includes(key)) return fields[key];
  if (typeof value === 'string') return z.string();
  if (Array.isArray(value)) return argv;
  return namedCommands;
}

/** `given` says whether the file holds a key, whether or not its value was valid. */
function readImage(
  dc: Devcontainer,
  given: (path: string[]) => boolean,
  dir: string,
  problems: Problems,
): ImageConfig | undefined {
  if (dc.build?.dockerfile !== undefined && given(['dockerFile'])) {
    problems.at(
      ['dockerFile'],
      'give the Dockerfile once, as build.dockerfile (dockerFile is its old spelling)',
      true,
    );
  }
  if (dc.build?.context !== undefined && given(['context'])) {
    problems.at(['context'], 'give the context once, as build.context (context is its old spelling)', true);
  }
  const hasImage = given(['image']);
  const hasDockerfile = given(['build', 'dockerfile']) || given(['dockerFile']);
  if (hasImage && hasDockerfile) {
    problems.at(['image'], 'give image or build.dockerfile, not both', true);
    return undefined;
  }
  if (!hasImage && !hasDockerfile) {
    if (given(['build']))
      problems.at(['build'], 'build needs dockerfile, relative to devcontainer.json', true);
    else problems.at([], 'give image or build.dockerfile: dev containers need one of them');
    return undefined;
  }
  if (dc.image !== undefined) return { kind: 'ref', ref: dc.image };
  const dockerfile = dc.build?.dockerfile ?? dc.dockerFile;
  if (dockerfile === undefined) return undefined;
  const dockerfileAt = dc.build?.dockerfile !== undefined ? ['build', 'dockerfile'] : ['dockerFile'];
  const file = inRepository(dir, dockerfile, dockerfileAt, problems);
  const contextAt = dc.build?.context !== undefined ? ['build', 'context'] : ['context'];
  const context = inRepository(dir, dc.build?.context ?? dc.context ?? '.', contextAt, problems);
  if (file === undefined || context === undefined) return undefined;
  const target = dc.build?.target;
  return { kind: 'dockerfile', file, context, args: dc.build?.args ?? {}, ...(target ? { target } : {}) };
}

/** `rel` (relative to the folder of devcontainer.json) as a repository-relative path; '.' for the root. */
function repositoryPath(dir: string, rel: string): string | undefined {
  const path = rel.replaceAll('\\', '/');
  if (path.startsWith('/') || /^[A-Za-z]:\//.test(path)) return undefined;
  const parts: string[] = [];
  for (const seg of `${dir}/${path}`.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.length > 0 ? parts.join('/') : '.';
}

function inRepository(
  dir: string,
  rel: string,
  at: readonly string[],
  problems: Problems,
  key = false,
): string | undefined {
  const path = repositoryPath(dir, rel);
  if (path === undefined) {
    problems.at(
      at,
      `'${rel}' is outside the repository; give a path relative to devcontainer.json that stays inside it`,
      key,
    );
  }
  return path;
}

function readFeatures(dc: Devcontainer, dir: string, problems: Problems): FeatureConfig[] {
  const out: { id: string; feature: FeatureConfig }[] = [];
  for (const [ref, value] of Object.entries(dc.features ?? {})) {
    const at = ['features', ref];
    const options = typeof value === 'string' ? { version: value } : value;
    if (ref.startsWith('./') || ref.startsWith('../')) {
      const path = inRepository(dir, ref, at, problems, true);
      if (path !== undefined) out.push({ id: ref, feature: { source: { kind: 'local', path }, options } });
    } else if (ref.startsWith('/') || ref.startsWith('.')) {
      problems.at(
        at,
        `local features start with ./ or ../ (relative to devcontainer.json), not '${ref}'`,
        true,
      );
    } else if (/^https?:\/\//i.test(ref)) {
      problems.at(
        at,
        'features from tarball URLs are not supported; publish the feature to an OCI registry',
        true,
      );
    } else if (!ref.includes('/')) {
      problems.at(
        at,
        `'${ref}' is a short feature id, which the spec deprecates; give the OCI reference, e.g. ghcr.io/devcontainers/features/${ref}:1`,
        true,
      );
    } else out.push({ id: featureId(ref), feature: { source: { kind: 'oci', ref }, options } });
  }
  const order = dc.overrideFeatureInstallOrder ?? [];
  order.forEach((id, i) => {
    if (!out.some((f) => f.id === featureId(id))) {
      problems.at(['overrideFeatureInstallOrder', i], `'${id}' names no feature in features`);
    }
  });
  const rank = (id: string) => {
    const i = order.findIndex((o) => featureId(o) === id);
    return i === -1 ? order.length : i;
  };
  return out.sort((a, b) => rank(a.id) - rank(b.id)).map((f) => f.feature);
}

/** An OCI feature reference without its tag or digest, as overrideFeatureInstallOrder names it. */
function featureId(ref: string): string {
  return ref.replace(/@sha256:[0-9a-f]+$/i, '').replace(/:[^/:]+$/, '');
}

function readTasks(dc: Devcontainer): TaskConfig[] {
  const stages = (keys: readonly (typeof LIFECYCLE)[number][]) =>
    joinStages(keys.map((k) => dc[k]).flatMap((c) => (c === undefined ? [] : [toShell(c)])));
  const init = stages(['onCreateCommand', 'updateContentCommand', 'postCreateCommand']);
  const command = stages(['postStartCommand', 'postAttachCommand']);
  if (init === undefined && command === undefined) return [];
  return [{ name: 'devcontainer', init, command, env: {} }];
}

const ON_OPEN: Record<NonNullable<PortAttributes['onAutoForward']>, PortConfig['onOpen']> = {
  notify: 'notify',
  openBrowser: 'open-browser',
  openBrowserOnce: 'open-browser',
  openPreview: 'open-preview',
  silent: 'ignore',
  ignore: 'ignore-completely',
};

function toPort(port: number, to: number | undefined, attrs: PortAttributes | undefined): PortConfig {
  return {
    port,
    ...(to !== undefined ? { to } : {}),
    onOpen: ON_OPEN[attrs?.onAutoForward ?? 'notify'],
    visibility: 'private',
    ...(attrs?.label !== undefined ? { name: attrs.label } : {}),
    protocol: attrs?.protocol ?? 'http',
  };
}

function readPorts(dc: Devcontainer, problems: Problems): PortConfig[] {
  const exact = new Map<number, PortAttributes>();
  const ranges: { from: number; to: number; attrs: PortAttributes }[] = [];
  for (const [key, attrs] of Object.entries(dc.portsAttributes ?? {})) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(key.trim());
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || !validPort(from) || !validPort(to) || to < from) {
      problems.at(
        ['portsAttributes', key],
        `'${key}' is not a port (3000) or a range (3000-3999) of ports 1-65535; patterns and process names are not supported`,
        true,
      );
    } else if (m[2] === undefined) exact.set(from, attrs);
    else ranges.push({ from, to, attrs });
  }
  const forwarded: number[] = [];
  (dc.forwardPorts ?? []).forEach((fp, i) => {
    const port = forwardedPort(fp, ['forwardPorts', i], problems);
    if (port !== undefined && !forwarded.includes(port)) forwarded.push(port);
  });
  const rangeOf = (p: number) => ranges.find((r) => r.from <= p && p <= r.to)?.attrs;
  return [
    ...forwarded.map((p) => toPort(p, undefined, exact.get(p) ?? rangeOf(p))),
    ...[...exact].filter(([p]) => !forwarded.includes(p)).map(([p, a]) => toPort(p, undefined, a)),
    ...ranges.map((r) => toPort(r.from, r.to, r.attrs)),
  ];
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function forwardedPort(
  spec: number | string,
  at: readonly (string | number)[],
  problems: Problems,
): number | undefined {
  if (typeof spec === 'number') {
    if (validPort(spec)) return spec;
    problems.at(at, `${spec} is not a port number (1-65535)`);
    return undefined;
  }
  const m = /^([^:]*):(\d+)$/.exec(spec.trim());
  const port = Number(m?.[2]);
  if (!m || !validPort(port)) {
    problems.at(at, `'${spec}' is not a port number or a "localhost:port" string`);
    return undefined;
  }
  if (m[1] !== 'localhost' && m[1] !== '127.0.0.1') {
    problems.at(
      at,
      `'${spec}' forwards a port of host '${m[1]}'; only the workspace's own ports (localhost or 127.0.0.1) can be forwarded`,
    );
    return undefined;
  }
  return port;
}

function readWorkspaceFolder(dc: Devcontainer, problems: Problems): string | undefined {
  if (dc.workspaceFolder === undefined) return undefined;
  const inside = /^\/workspace\//.test(dc.workspaceFolder) ? insideWorkspace(dc.workspaceFolder) : undefined;
  if (!inside) {
    problems.at(
      ['workspaceFolder'],
      `'${dc.workspaceFolder}' is not below /workspace, where Atelier checks out repositories; use e.g. /workspace/<repository>`,
    );
    return undefined;
  }
  return inside;
}
