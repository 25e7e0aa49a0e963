// Shared flag parsing: node's parseArgs (strict) plus zod for values, with one-line errors.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AppError, formatIssues } from '@atelier/protocol';
import type { z } from 'zod';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<S extends z.ZodType>(
  args: string[],
  options: Options,
  schema: S,
  allowPositionals = 0,
): { values: z.output<S>; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args,
    options,
    strict: true,
    allowPositionals: allowPositionals > 0,
  });
  if (positionals.length > allowPositionals) {
    throw new AppError(
      'invalid_argument',
      `unexpected argument "${positionals[allowPositionals]}" — run atelier --help`,
    );
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues).map((p) => `--${p}`);
    throw new AppError('invalid_argument', `invalid flags: ${problems.join('; ')}`);
  }
  return { values: parsed.data, positionals };
}

export const configFlags = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const satisfies Options;
