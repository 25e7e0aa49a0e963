// Problems found in a configuration file, each with file, line, column and key path, gathered into
// one invalid_argument error that lists them all.
import { AppError } from '../errors.js';

export interface ConfigProblem {
  file: string;
  /** 1-based; 0 when the problem has no place in the file */
  line: number;
  column: number;
  /** dotted key path, `tasks[0].init`; '' for the whole file */
  path: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** One error for all problems of a file; `details` lists them one a line for the API and the dashboard. */
export function configError(problems: ConfigProblem[]): AppError {
  const first = problems[0];
  const head =
    problems.length === 1 && first
      ? formatProblem(first)
      : `${first?.file ?? 'configuration'} has ${problems.length} problems:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`;
  return new AppError('invalid_argument', head, problems.map(formatProblem));
}

/** A path inside /workspace: relative, no `..` that climbs out, no absolute path elsewhere. */
export function insideWorkspace(path: string): string | undefined {
  const trimmed = path.replace(/^\/workspace\/?/, '');
  if (trimmed.startsWith('/')) return undefined;
  const parts: string[] = [];
  for (const seg of trimmed.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}
