// What a context resolved to through its SCM's API, stored with the workspace: every start checks
// out the same branch and opens the same file, whatever the SCM says later.
import { z } from 'zod';
import { type IdeChoice, ideChoiceSchema } from '../api.js';
import { AppError } from '../errors.js';

/** A branch name git accepts and a shell cannot misread: no leading "-", no "..". */
export const localBranchSchema = z
  .string()
  .regex(/^[A-Za-z0-9._/-]{1,200}$/)
  .refine((b) => !b.startsWith('-') && !b.includes('..') && !b.endsWith('/') && !b.endsWith('.lock'));

export const resolvedContextSchema = z.object({
  kind: z.enum(['repository', 'pull-request', 'issue', 'commit', 'git']),
  /** the pull request's or issue's title */
  title: z.string().max(500).optional(),
  /** the pull request's or issue's number */
  number: z.number().int().positive().optional(),
  /** an issue's: the branch created on top of the checkout, as Gitpod names it (`<login>/<title>-<n>`) */
  localBranch: localBranchSchema.optional(),
  /** a pull request's target branch */
  baseRef: z.string().min(1).optional(),
  /** a pull request from a fork: the target repository, added as the remote `upstream` */
  upstreamCloneUrl: z.string().min(1).optional(),
  /** a file (or folder) the URL pointed at, relative to the checkout: the IDE opens it */
  openPath: z.string().min(1).optional(),
  /** the `imagebuild/` prefix: the first start builds the image even when one is cached */
  forceImageBuild: z.boolean().optional(),
  /** the IDE of a `referrer:<name>:<ide>/` prefix: it wins over the owner's preference */
  ide: ideChoiceSchema.optional(),
});
export type ResolvedContext = z.infer<typeof resolvedContextSchema>;

/** The stored column as a ResolvedContext; null for a plain repository (and for damaged JSON). */
export function parseStoredContext(text: string | null): ResolvedContext | null {
  if (!text) return null;
  try {
    const parsed = resolvedContextSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The local branch for an issue, as Gitpod names it: `<login>/<title as words joined by "-">-<number>`,
 * lower case, at most 50 characters of title.
 */
export function issueBranchName(login: string, title: string, number: number): string {
  const slug = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const words = slug(title).slice(0, 50).replace(/-+$/, '');
  const user = slug(login) || 'issue';
  return `${user}/${words ? `${words}-` : ''}${number}`;
}

/** JetBrains' IDE names as Gitpod's referrer prefix carries them (JetBrains Gateway sends them). */
const JETBRAINS_IDES = [
  'intellij',
  'goland',
  'pycharm',
  'phpstorm',
  'rubymine',
  'webstorm',
  'rider',
  'clion',
  'rustrover',
];

/**
 * The IDE a `referrer:<name>:<ide>/` prefix asks for, in Atelier's choices: `code` (the browser),
 * `code-desktop`/`vscode-desktop`, `terminal`, or a JetBrains IDE (JetBrains Gateway). Another name
 * is refused, with the names there are.
 */
export function referrerIdeChoice(ide: string): IdeChoice {
  const name = ide.toLowerCase();
  if (name === 'code' || name === 'vscode') return 'code';
  if (name === 'code-desktop' || name === 'vscode-desktop') return 'vscode-desktop';
  if (name === 'terminal') return 'terminal';
  if (name === 'jetbrains' || JETBRAINS_IDES.includes(name)) return 'jetbrains';
  throw new AppError(
    'invalid_argument',
    `the referrer prefix asks for the IDE "${ide}", which Atelier does not offer: use code, code-desktop, terminal or a JetBrains IDE (${JETBRAINS_IDES.join(', ')})`,
  );
}
