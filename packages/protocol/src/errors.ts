// The one error family, mapped in one place to HTTP status and CLI exit code.
export const ERROR_CODES = [
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'conflict',
  'failed_precondition',
  'resource_exhausted',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'invalid_argument':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'permission_denied':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'failed_precondition':
      return 412;
    case 'resource_exhausted':
      return 429;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
  }
}

/** CLI exit codes: 2 for input the user can fix, 3 for "the service said no", 1 otherwise. */
export function exitCodeOf(code: ErrorCode): number {
  switch (code) {
    case 'invalid_argument':
    case 'failed_precondition':
      return 2;
    case 'unauthenticated':
    case 'permission_denied':
    case 'not_found':
    case 'conflict':
    case 'resource_exhausted':
      return 3;
    case 'unavailable':
    case 'internal':
      return 1;
  }
}

export function codeOfHttpStatus(status: number): ErrorCode {
  for (const code of ERROR_CODES) if (httpStatusOf(code) === status) return code;
  return status >= 500 ? 'internal' : 'invalid_argument';
}

/** Turns zod-style issues into "path: message" lines for one error that lists every problem. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
}
