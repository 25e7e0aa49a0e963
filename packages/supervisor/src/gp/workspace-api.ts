// gp's client of the supervisor's in-workspace API (packages/protocol/src/workspace-api.ts): JSON over
// HTTP on the container's loopback, errors as `{code, message}`, and one message when nothing answers.
import {
  AppError,
  codeOfHttpStatus,
  ERROR_CODES,
  type ErrorCode,
  type ServerAccess,
  serverAccessSchema,
  type WorkspaceInfo,
  workspaceApiPaths,
  workspaceInfoSchema,
} from '@atelier/protocol';
import { Interrupted } from './cli.js';

/** A zod schema, as far as the client needs one. */
export interface Parser<T> {
  parse(v: unknown): T;
}

export interface RequestOptions {
  body?: unknown;
  /** Ctrl-C: the request is abandoned and the command ends */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RawAnswer {
  status: number;
  text: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class WorkspaceApiClient {
  private infoCache: Promise<WorkspaceInfo> | undefined;

  constructor(readonly baseUrl: string) {}

  /** The error every command reports when the supervisor does not answer at all. */
  unreachable(cause?: unknown): AppError {
    return new AppError(
      'unavailable',
      `cannot reach the workspace's supervisor at ${this.baseUrl} — gp works inside an Atelier workspace`,
      undefined,
      { cause },
    );
  }

  /** One request; any HTTP status is an answer, only "nobody answered" throws. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RawAnswer> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        signal,
        headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
        body: opts.body === undefined ? null : JSON.stringify(opts.body),
      });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      if (opts.signal?.aborted) throw new Interrupted();
      if (timeout.aborted) {
        throw new AppError(
          'unavailable',
          `the workspace's supervisor at ${this.baseUrl} did not answer ${method} ${path} in ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s`,
        );
      }
      throw this.unreachable(e);
    }
  }

  /** A request whose 2xx answer is checked by `schema`; other answers become their AppError. */
  async json<T>(method: string, path: string, schema: Parser<T>, opts: RequestOptions = {}): Promise<T> {
    const answer = await this.request(method, path, opts);
    if (answer.status < 200 || answer.status >= 300) throw errorOf(answer, `${method} ${path}`);
    let value: unknown;
    try {
      value = JSON.parse(answer.text);
    } catch {
      throw new AppError(
        'internal',
        `the workspace's supervisor answered ${method} ${path} with something not JSON`,
      );
    }
    return schema.parse(value);
  }

  /** A request whose 2xx answer body does not matter (204 and friends). */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    const answer = await this.request(method, path, opts);
    if (answer.status < 200 || answer.status >= 300) throw errorOf(answer, `${method} ${path}`);
  }

  /** GET /v1/info, asked once per gp run. */
  info(): Promise<WorkspaceInfo> {
    this.infoCache ??= this.json('GET', workspaceApiPaths.info, workspaceInfoSchema);
    return this.infoCache;
  }

  serverAccess(): Promise<ServerAccess> {
    return this.json('GET', workspaceApiPaths.serverToken, serverAccessSchema);
  }

  /** The ws:// URL of a path of the API (terminal attach). */
  webSocketUrl(path: string): string {
    const url = new URL(path, this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }
}

/** The API's `{code, message}` error body as an AppError with the same code. */
export function errorOf(answer: RawAnswer, what: string): AppError {
  try {
    const body = JSON.parse(answer.text) as { code?: unknown; message?: unknown };
    if (typeof body.message === 'string') {
      const code = ERROR_CODES.includes(body.code as ErrorCode)
        ? (body.code as ErrorCode)
        : codeOfHttpStatus(answer.status);
      return new AppError(code, body.message);
    }
  } catch {
    // not JSON: the status says enough
  }
  return new AppError(
    codeOfHttpStatus(answer.status),
    `the workspace's supervisor answered ${what} with HTTP ${answer.status}`,
  );
}
