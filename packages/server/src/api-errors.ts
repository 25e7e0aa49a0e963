// Maps every error of a request, in one place, to the JSON error body {code, message, details?}.
import { AppError, codeOfHttpStatus, type ErrorBody, formatIssues, httpStatusOf } from '@atelier/protocol';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AppEnv } from './app-env.js';

/** The error body and status of any thrown value; unexpected errors are logged, never shown. */
export function errorResponse(err: unknown, c: Context<AppEnv>, logger: Logger): Response {
  let status: number;
  let body: ErrorBody;
  if (err instanceof AppError) {
    status = httpStatusOf(err.code);
    body = { code: err.code, message: err.message, ...(err.details ? { details: [...err.details] } : {}) };
  } else if (err instanceof HTTPException) {
    status = err.status;
    body = { code: codeOfHttpStatus(err.status), message: err.message || 'request refused' };
  } else {
    const requestId = c.get('requestId');
    logger.error({ err, requestId }, 'request failed');
    status = 500;
    body = { code: 'internal', message: `internal error (request id ${requestId}); see the server log` };
  }
  return c.json(body, status as ContentfulStatusCode);
}

/**
 * Reads a JSON body and validates it; every problem is listed in one 400 error.
 * An empty body counts as `{}` so that schemas with defaults accept it and required fields are named.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new AppError('invalid_argument', `the request body is not valid JSON: ${reason}`);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = formatIssues(result.error.issues);
    throw new AppError('invalid_argument', `the request has ${details.length} problem(s)`, details);
  }
  return result.data;
}

/** Validates a path parameter with its schema; a malformed one is a 400 naming the parameter. */
export function readParam<S extends z.ZodType>(c: Context, name: string, schema: S): z.output<S> {
  const raw = c.req.param(name) ?? '';
  const result = schema.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${name}: ${i.message}`);
    throw new AppError('invalid_argument', `"${raw}" is not a valid ${name}`, details);
  }
  return result.data;
}
