// Workspace environment variables (reference/gitpod.md §4, §5): the rules for names, values and
// repository patterns, the block list of the context-URL prefix, and the order the sources merge in.

export const ENV_NAME_RULE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME_MAX = 255;
/** In UTF-8 bytes: the sealed value (base64 and a header) still fits MySQL's 64 KiB TEXT column. */
export const ENV_VALUE_MAX_BYTES = 32_767;
export const REPOSITORY_PATTERN_MAX = 255;
/** Gitpod's limit per user. */
export const MAX_USER_ENV_VARS = 4048;
/** Names of the variables Atelier sets itself; a user's variable may not start with them. */
export const RESERVED_ENV_PREFIXES = ['GITPOD_', 'ATELIER_'] as const;

/** What is wrong with a variable name, or undefined when it is valid. */
export function envNameProblem(name: string): string | undefined {
  if (name === '') return 'a variable name must not be empty';
  if (name.length > ENV_NAME_MAX) return `a variable name has at most ${ENV_NAME_MAX} characters`;
  if (!ENV_NAME_RULE.test(name)) {
    return `"${name}" is not a variable name: use letters, digits and "_", and do not start with a digit`;
  }
  return undefined;
}

/** envNameProblem, and the prefixes of the variables Atelier sets (which would be overwritten). */
export function userEnvNameProblem(name: string): string | undefined {
  const problem = envNameProblem(name);
  if (problem) return problem;
  const reserved = RESERVED_ENV_PREFIXES.find((prefix) => name.startsWith(prefix));
  return reserved
    ? `${name} starts with ${reserved}, which is reserved for the variables every workspace gets: choose another name`
    : undefined;
}

/** What is wrong with a user variable's value, or undefined; the value itself is never quoted. */
export function envValueProblem(value: string): string | undefined {
  if (value === '') return 'a value must not be empty: delete the variable instead';
  // a NUL cannot be passed to a process: every terminal of the workspace would fail to open
  if (value.includes('\0')) return 'a value must not contain NUL characters';
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > ENV_VALUE_MAX_BYTES) {
    return `a value has at most ${ENV_VALUE_MAX_BYTES} bytes (this one has ${bytes})`;
  }
  return undefined;
}

const PATTERN_SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * What is wrong with a repository pattern, or undefined: `owner/repo` (more segments for nested
 * groups), each segment a name or `*` (any one segment); `**` (one or more) only as the last.
 */
export function repositoryPatternProblem(pattern: string): string | undefined {
  const form = 'write owner/repo, with * for any one segment (*/* = every repository)';
  if (pattern.length > REPOSITORY_PATTERN_MAX) {
    return `a repository pattern has at most ${REPOSITORY_PATTERN_MAX} characters`;
  }
  const segments = pattern.split('/');
  if (segments.length < 2) return `"${pattern}" is not a repository pattern: ${form}`;
  for (const [i, segment] of segments.entries()) {
    if (segment === '*') continue;
    if (segment === '**') {
      if (i === segments.length - 1) continue;
      return `"${pattern}": ** (any number of segments) may only be the last segment`;
    }
    if (!PATTERN_SEGMENT.test(segment)) {
      return `"${pattern}": segment "${segment}" may hold only letters, digits, ".", "_" and "-", or be * alone; ${form}`;
    }
  }
  return undefined;
}

/** Patterns are stored in lower case: repository names match without regard to case, as on GitHub. */
export const normalizeRepositoryPattern = (pattern: string) => pattern.trim().toLowerCase();

/** Whether `owner/repo` (the repository's path, segments joined by "/") matches the pattern. */
export function matchesRepositoryPattern(pattern: string, repository: string): boolean {
  const want = pattern.toLowerCase().split('/');
  const have = repository.toLowerCase().split('/');
  if (want.length < 2) return false; // a single segment never matched in Gitpod either
  for (const [i, w] of want.entries()) {
    if (w === '**' && i === want.length - 1) return have.length > i;
    const h = have[i];
    if (h === undefined || (w !== '*' && w !== h)) return false;
  }
  return have.length === want.length;
}

/** Compares specificity: per segment from the left, a name beats `*`, which beats `**`. */
function compareSpecificity(a: string, b: string): number {
  const rank = (s: string | undefined) => (s === undefined ? -1 : s === '**' ? 0 : s === '*' ? 1 : 2);
  const [x, y] = [a.split('/'), b.split('/')];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = rank(x[i]) - rank(y[i]);
    if (d !== 0) return d;
  }
  return 0;
}

export interface UserEnvValue {
  name: string;
  repositoryPattern: string;
  value: string;
}

/**
 * The user's variables for a repository: those whose pattern matches it and, of several with the
 * same name, the one with the most specific pattern: for `a/b`, the one of `a/b`, then `a/*`, then
 * any owner with `b`, then every repository.
 */
export function userEnvFor(vars: readonly UserEnvValue[], repository: string): Record<string, string> {
  const best = new Map<string, UserEnvValue>();
  for (const v of vars) {
    if (!matchesRepositoryPattern(v.repositoryPattern, repository)) continue;
    const current = best.get(v.name);
    if (!current || compareSpecificity(v.repositoryPattern, current.repositoryPattern) > 0)
      best.set(v.name, v);
  }
  return Object.fromEntries([...best].map(([name, v]) => [name, v.value]));
}

export interface WorkspaceEnvSources {
  /** the configuration file's `env` */
  config: Readonly<Record<string, string>>;
  /** the user's variables (values opened); those matching `repository` apply */
  user: readonly UserEnvValue[];
  /** `owner/repo` of the workspace's repository */
  repository: string;
  /** the context URL's `VAR=value,.../` prefix */
  context: Readonly<Record<string, string>>;
  /** GITPOD_* and their ATELIER_* twins: last, so that nothing overrides them */
  system: Readonly<Record<string, string>>;
}

/** The workspace's environment; later sources win (the image's own comes first, in the container). */
export function composeWorkspaceEnv(sources: WorkspaceEnvSources): Record<string, string> {
  // spreads define own properties, so even a variable named __proto__ stays a plain entry
  return {
    ...sources.config,
    ...userEnvFor(sources.user, sources.repository),
    ...sources.context,
    ...sources.system,
  };
}

// Context-URL variables come from a link anybody can send: names that make shells, linkers and
// interpreters run code are refused (Gitpod's list, with ATELIER_ and a few command-holding names).
const BLOCKED_NAMES = new Set([
  'BASH_ENV',
  'ENV',
  'PROMPT_COMMAND',
  'PS0',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'ZDOTDIR',
  'PATH',
  'CDPATH',
  'SHELL',
  'IFS',
  'HOME',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'MANPAGER',
  'BROWSER',
]);
const BLOCKED_PATTERNS: readonly [RegExp, string][] = [
  [/^LD_/, 'LD_*'],
  [/^PYTHON/, 'PYTHON*'],
  [/^PERL/, 'PERL*'],
  [/^JAVA_/, 'JAVA_*'],
  [/^NODE_/, 'NODE_*'],
  [/^GIT_/, 'GIT_*'],
  [/_(PATH|HOME|CONFIG|OPTIONS|STARTUP|INIT)$/, '*_PATH, *_HOME, *_CONFIG, *_OPTIONS, *_STARTUP, *_INIT'],
];
const RESERVED_CONTEXT_NAMES = /^(GITPOD|ATELIER|SUPERVISOR)_/;
/** Gitpod's value charset; it leaves no room for `$(`, backticks, pipes, `;`, `&&` or redirections. */
const CONTEXT_VALUE = /^[A-Za-z0-9_\-.?=]*$/;

/** Why a context-URL variable is refused (the message names it and what to do), or undefined. */
export function contextEnvProblem(name: string, value: string): string | undefined {
  const nameProblem = envNameProblem(name);
  if (nameProblem) return `${nameProblem} (in the context URL's prefix)`;
  const instead = 'set it in the configuration file or as a user variable instead';
  if (BLOCKED_NAMES.has(name)) {
    return `${name} cannot be set from the context URL: it makes shells or programs run code; ${instead}`;
  }
  if (RESERVED_CONTEXT_NAMES.test(name)) {
    return `${name} cannot be set from the context URL: variables named GITPOD_*, ATELIER_* and SUPERVISOR_* are set by Atelier itself`;
  }
  const pattern = BLOCKED_PATTERNS.find(([re]) => re.test(name));
  if (pattern) {
    return `${name} cannot be set from the context URL: variables named ${pattern[1]} are blocked (they configure runtimes and tools); ${instead}`;
  }
  if (!CONTEXT_VALUE.test(value)) {
    return `the value of ${name} in the context URL may hold only letters, digits, "_", "-", ".", "?" and "="; ${instead}`;
  }
  return undefined;
}
