// Small HTTP helpers of the supervisor API: token check, JSON bodies and answers, errors as {code, message}.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, formatIssues, httpStatusOf, isAppError, SUPERVISOR_TOKEN_HEADER } from '@atelier/protocol';

const MAX_BODY_BYTES = 64 * 1024;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Throws unauthenticated unless the request carries the supervisor token (compared in constant time). */
export function checkToken(req: IncomingMessage, token: string): void {
  const given = req.headers[SUPERVISOR_TOKEN_HEADER];
  if (typeof given !== 'string' || !timingSafeEqual(digest(given), digest(token))) {
    throw new AppError(
      'unauthenticated',
      `missing or wrong ${SUPERVISOR_TOKEN_HEADER} header: reach the workspace through Atelier's proxy`,
    );
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function errorBody(e: unknown): { status: number; body: { code: string; message: string } } {
  if (isAppError(e)) return { status: httpStatusOf(e.code), body: { code: e.code, message: e.message } };
  return { status: 500, body: { code: 'internal', message: `the supervisor failed: ${String(e)}` } };
}

export function sendError(res: ServerResponse, e: unknown): void {
  const { status, body } = errorBody(e);
  if (res.headersSent) return void res.destroy();
  sendJson(res, status, body);
}

/** Reads a JSON body and validates it; an empty body counts as {}. */
export async function readJson<T>(
  req: IncomingMessage,
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new AppError('invalid_argument', `the request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : {};
  } catch {
    throw new AppError('invalid_argument', 'the request body is not valid JSON'); // the parse error adds nothing
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    throw new AppError('invalid_argument', `invalid request: ${lines.join('; ')}`, lines);
  }
  return parsed.data;
}
