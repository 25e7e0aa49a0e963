// Dev container lifecycle commands (string, argv array, or object of named commands run in
// parallel) as shell text that the supervisor runs in a task.

/** A lifecycle command as devcontainer.json gives it. */
export type LifecycleCommand = string | string[] | { [name: string]: string | string[] };

/** A shell command; `simple` when it can stand next to `&&` or `&` without parentheses. */
interface Shell {
  sh: string;
  simple: boolean;
}

/** The shell form of one lifecycle command; sh is '' when it has nothing to run. */
export function toShell(cmd: LifecycleCommand): Shell {
  if (typeof cmd === 'string') return { sh: cmd.trim(), simple: !/[;&|#\n]/.test(cmd.trim()) };
  if (Array.isArray(cmd)) return { sh: cmd.map(shellQuote).join(' '), simple: true };
  const parts = Object.values(cmd)
    .map((c) => toShell(c))
    .filter((c) => c.sh !== '');
  if (parts.length <= 1) return parts[0] ?? { sh: '', simple: true };
  const start = parts.map((c, i) => `${grouped(c)} & p${i}=$!`).join('; ');
  const wait = parts.map((_, i) => `wait $p${i} || s=1`).join('; ');
  return { sh: `( ${start}; s=0; ${wait}; exit $s )`, simple: true };
}

export function joinStages(cmds: Shell[]): string | undefined {
  const present = cmds.filter((c) => c.sh !== '');
  if (present.length <= 1) return present[0]?.sh;
  return present.map(grouped).join(' && ');
}

/**
 * A command in a subshell unless it is simple. The spaces keep `( (` from reading as bash arithmetic `((`; a newline
 * before `)` keeps a trailing `# comment` from eating it.
 */
function grouped({ sh, simple }: Shell): string {
  return simple ? sh : `( ${sh}${sh.includes('#') ? '\n' : ' '})`;
}

function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
