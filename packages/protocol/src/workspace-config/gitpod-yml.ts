// `.gitpod.yml` (Gitpod's schema, reference/gitpod.md §4) → WorkspaceConfig. Every problem is
// reported at once with its line, column and key path, and says what is allowed.
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { type ConfigProblem, configError, formatPath, insideWorkspace } from './problems.js';
import type { ConfigWarning, PortConfig, TaskConfig, WorkspaceConfig } from './types.js';

const scalarString = z
  .union([z.string(), z.number(), z.boolean()], { error: 'expected a string' })
  .transform((v) => String(v));
const envSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _'),
  scalarString,
);

const taskSchema = z.strictObject({
  name: z.string().optional(),
  before: z.string().optional(),
  init: z.string().optional(),
  prebuild: z.string().optional(),
  command: z.string().optional(),
  env: envSchema.optional(),
  openIn: z.enum(['bottom', 'main', 'left', 'right']).optional(),
  openMode: z.enum(['split-left', 'split-right', 'tab-before', 'tab-after']).optional(),
});

const PORT_RANGE = /^(\d+)[:-](\d+)$/;
const PORT_MESSAGE = 'expected a port number (1-65535) or a range such as 3000-3999';
const portSchema = z.strictObject({
  port: z.union(
    [
      z.number().int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE),
      z.string().regex(PORT_RANGE, PORT_MESSAGE),
    ],
    { error: PORT_MESSAGE },
  ),
  onOpen: z.enum(['open-browser', 'open-preview', 'notify', 'ignore', 'ignore-completely']).optional(),
  visibility: z.enum(['private', 'public']).optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  protocol: z.enum(['http', 'https']).optional(),
});

const imageObjectSchema = z.strictObject({ file: z.string().min(1), context: z.string().optional() });
const repositorySchema = z.strictObject({ url: z.string().min(1), checkoutLocation: z.string().optional() });
const vscodeSchema = z.strictObject({ extensions: z.array(z.string()).optional() });
const coreDumpSchema = z.strictObject({
  enabled: z.boolean(),
  softLimit: z.number().int().min(0).optional(),
  hardLimit: z.number().int().min(0).optional(),
});
const jetbrainsProduct = z.strictObject({
  plugins: z.array(z.string()).optional(),
  prebuilds: z.strictObject({ version: z.enum(['stable', 'latest', 'both']).optional() }).optional(),
  vmoptions: z.string().optional(),
});
const jetbrainsSchema = z.strictObject({
  plugins: z.array(z.string()).optional(),
  ...Object.fromEntries(
    ['intellij', 'goland', 'pycharm', 'phpstorm', 'rubymine', 'webstorm', 'rider', 'clion', 'rustrover'].map(
      (p) => [p, jetbrainsProduct.optional()],
    ),
  ),
});

const rootSchema = z.strictObject({
  image: z
    .union([z.string().min(1), imageObjectSchema], {
      error: 'expected an image name, or {file: <Dockerfile>, context: <folder>}',
    })
    .optional(),
  ports: z.array(portSchema).optional(),
  tasks: z.array(taskSchema).optional(),
  additionalRepositories: z.array(repositorySchema).optional(),
  mainConfiguration: z.string().optional(),
  checkoutLocation: z.string().optional(),
  workspaceLocation: z.string().optional(),
  gitConfig: z.record(z.string(), scalarString).optional(),
  github: z.record(z.string(), z.unknown()).optional(),
  vscode: vscodeSchema.optional(),
  jetbrains: jetbrainsSchema.optional(),
  experimentalNetwork: z.boolean().optional(),
  coreDump: coreDumpSchema.optional(),
  env: envSchema.optional(),
});
type GitpodYml = z.output<typeof rootSchema>;

/** Keys allowed in each object of the file, by key path with indexes as `[]`, for messages. */
const ALLOWED: Record<string, readonly string[]> = {
  '': Object.keys(rootSchema.shape),
  image: Object.keys(imageObjectSchema.shape),
  'ports[]': Object.keys(portSchema.shape),
  'tasks[]': Object.keys(taskSchema.shape),
  'additionalRepositories[]': Object.keys(repositorySchema.shape),
  vscode: Object.keys(vscodeSchema.shape),
  coreDump: Object.keys(coreDumpSchema.shape),
  jetbrains: Object.keys(jetbrainsSchema.shape),
};

/** Parses the text of `file` (repository-relative path of the .gitpod.yml). */
export function parseGitpodYml(text: string, file = '.gitpod.yml'): WorkspaceConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  const at = (offset: number | undefined, path: readonly PropertyKey[], message: string) => {
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    problems.push({ file, line: pos?.line ?? 0, column: pos?.col ?? 0, path: formatPath(path), message });
  };
  // the parser's first line, without its own "at line L, column C:" (the problem starts with that)
  for (const e of doc.errors) {
    const first = e.message.split('\n')[0] ?? e.message;
    at(e.pos[0], [], first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, ''));
  }
  if (problems.length) throw configError(problems);

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    at(doc.contents?.range?.[0], [], 'expected a mapping of keys such as image, tasks and ports');
    throw configError(problems);
  }
  const parsed = rootSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const allowed = ALLOWED[formatPath(issue.path).replace(/\[\d+\]/g, '[]')] ?? [];
        for (const key of issue.keys)
          at(
            keyOffset(doc.getIn(issue.path, true), key),
            [...issue.path, key],
            `unknown key '${key}'; allowed: ${allowed.join(', ')}`,
          );
      } else if (issue.code === 'invalid_key') {
        const key = String(issue.path.at(-1));
        const parent = issue.path.slice(0, -1);
        at(keyOffset(doc.getIn(parent, true), key), issue.path, issue.issues[0]?.message ?? issue.message);
      } else {
        at(valueOffset(doc, issue.path), issue.path, issue.message);
      }
    }
    throw configError(problems);
  }
  const yml = parsed.data;
  const config = toWorkspaceConfig(yml, file, (path, message) => at(valueOffset(doc, path), path, message));
  if (problems.length) throw configError(problems);
  return config;
}

function toWorkspaceConfig(
  yml: GitpodYml,
  file: string,
  problem: (path: PropertyKey[], message: string) => void,
): WorkspaceConfig {
  const warnings: ConfigWarning[] = [];
  const warn = (message: string) => warnings.push({ file, message });
  const below = (path: PropertyKey[], value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const inside = insideWorkspace(value);
    if (inside === undefined) problem(path, `'${value}' is outside /workspace; give a path below it`);
    return inside;
  };
  const inRepo = (path: PropertyKey[], value: string): string => {
    const inside = value.startsWith('/') ? undefined : insideWorkspace(value);
    if (inside === undefined) problem(path, `'${value}' is outside the repository; give a path inside it`);
    return inside ?? '';
  };

  let image: WorkspaceConfig['image'] = { kind: 'default' };
  if (typeof yml.image === 'string') image = { kind: 'ref', ref: yml.image };
  else if (yml.image)
    image = {
      kind: 'dockerfile',
      file: inRepo(['image', 'file'], yml.image.file),
      context: inRepo(['image', 'context'], yml.image.context ?? '.'),
      args: {},
    };

  const ports: PortConfig[] = (yml.ports ?? []).map((p, i) => {
    let port: number;
    let to: number | undefined;
    if (typeof p.port === 'number') port = p.port;
    else {
      const [, from = '0', last = '0'] = PORT_RANGE.exec(p.port) ?? [];
      port = Number(from);
      to = Number(last);
      if (port < 1 || to > 65535 || port > to)
        problem(['ports', i, 'port'], `'${p.port}' is not a range of ports: give first-last within 1-65535`);
    }
    return {
      port,
      ...(to !== undefined ? { to } : {}),
      onOpen: p.onOpen ?? 'notify',
      visibility: p.visibility ?? 'private',
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
      protocol: p.protocol ?? 'http',
    };
  });

  const tasks: TaskConfig[] = (yml.tasks ?? []).map((t, i) => ({
    name: t.name ?? `Task ${i + 1}`,
    ...(t.before !== undefined ? { before: t.before } : {}),
    ...(t.init !== undefined ? { init: t.init } : {}),
    ...(t.prebuild !== undefined ? { prebuild: t.prebuild } : {}),
    ...(t.command !== undefined ? { command: t.command } : {}),
    env: t.env ?? {},
    ...(t.openIn !== undefined ? { openIn: t.openIn } : {}),
    ...(t.openMode !== undefined ? { openMode: t.openMode } : {}),
  }));

  if (yml.github) warn("'github' is deprecated (prebuild settings live in the project); it is ignored");
  if (yml.experimentalNetwork !== undefined) warn("'experimentalNetwork' is deprecated and ignored");
  if (yml.jetbrains) warn("'jetbrains' is accepted but ignored: Atelier offers VS Code and SSH");
  if (yml.mainConfiguration) warn("'mainConfiguration' is accepted but not used yet");

  const checkoutLocation = below(['checkoutLocation'], yml.checkoutLocation);
  const workspaceLocation = below(['workspaceLocation'], yml.workspaceLocation);
  const additionalRepositories = (yml.additionalRepositories ?? []).map((r, i) => {
    const location = below(['additionalRepositories', i, 'checkoutLocation'], r.checkoutLocation);
    return { url: r.url, ...(location !== undefined ? { checkoutLocation: location } : {}) };
  });
  const core = yml.coreDump;
  return {
    origin: 'gitpod',
    file,
    image,
    features: [],
    tasks,
    ports,
    env: yml.env ?? {},
    ...(checkoutLocation !== undefined ? { checkoutLocation } : {}),
    ...(workspaceLocation !== undefined ? { workspaceLocation } : {}),
    gitConfig: yml.gitConfig ?? {},
    vscodeExtensions: yml.vscode?.extensions ?? [],
    additionalRepositories,
    ...(core?.enabled
      ? { coreDump: { soft: core.softLimit ?? 'unlimited', hard: core.hardLimit ?? 'unlimited' } }
      : {}),
    warnings,
  };
}

/** Offset of the key `key` in the mapping `node`, or of the mapping itself. */
function keyOffset(node: unknown, key: string): number | undefined {
  if (!isMap(node)) return undefined;
  const pair = (node as YAMLMap).items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
  const keyNode = pair?.key as Node | undefined;
  return keyNode?.range?.[0] ?? (node as YAMLMap).range?.[0];
}

/** Offset of the value at `path`, or of its nearest ancestor that exists. */
function valueOffset(
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as Node | undefined;
    if (node?.range) return node.range[0];
  }
  return doc.contents?.range?.[0];
}
