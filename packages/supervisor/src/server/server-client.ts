// Client of the Atelier API as the workspace (its scoped token), for the supervisor and `gp`: it can
// reach a *.localhost domain through the runtime's host address and trust a private CA.
import http from 'node:http';
import https from 'node:https';
import {
  AppError,
  ERROR_CODES,
  type ErrorCode,
  type ServerAccess,
  type WorkspaceHeartbeatRequest,
} from '@atelier/protocol';

/** A zod schema, as far as the client needs one. */
export interface Parser<T> {
  parse(v: unknown): T;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class ServerClient {
  private readonly base: URL;

  constructor(private readonly access: ServerAccess) {
    this.base = new URL(access.apiUrl.endsWith('/') ? access.apiUrl : `${access.apiUrl}/`);
  }

  /** `path` is relative to apiUrl (`workspaces/<id>/timeout`); the answer is checked by `schema`. */
  async json<T>(method: string, path: string, schema: Parser<T>, body?: unknown): Promise<T> {
    const text = await this.request(method, path, body);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AppError('internal', `the Atelier server answered ${method} ${path} with something not JSON`);
    }
    return schema.parse(value);
  }

  /** A request whose answer body is ignored (204 and friends). */
  async send(method: string, path: string, body?: unknown): Promise<void> {
    await this.request(method, path, body);
  }

  heartbeat(workspaceId: string, beat: WorkspaceHeartbeatRequest): Promise<void> {
    return this.send('POST', `workspaces/${workspaceId}/heartbeat`, beat);
  }

  request(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const secure = url.protocol === 'https:';
    const target = this.access.connectTo;
    const options: https.RequestOptions = {
      method,
      host: target?.host ?? url.hostname,
      port: target?.port ?? (url.port ? Number(url.port) : secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: {
        host: url.host,
        authorization: `Bearer ${this.access.token}`,
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
      },
      timeout: timeoutMs,
      ...(secure
        ? { servername: url.hostname, ...(this.access.caPem ? { ca: this.access.caPem } : {}) }
        : {}),
    };
    const where = target ? `${url.origin} (through ${target.host}:${target.port})` : url.origin;
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(text);
          reject(errorFromAnswer(status, text, `${method} ${url.pathname}`));
        });
      });
      req.on('timeout', () =>
        req.destroy(
          new AppError('unavailable', `the Atelier server at ${where} did not answer in ${timeoutMs} ms`),
        ),
      );
      req.on('error', (e: Error) => {
        if (e instanceof AppError) return reject(e);
        reject(
          new AppError(
            'unavailable',
            `cannot reach the Atelier server at ${where} from this workspace: ${e.message}`,
            undefined,
            { cause: e },
          ),
        );
      });
      req.end(payload);
    });
  }
}

/** The server's `{code, message}` error body as an AppError with the same code. */
function errorFromAnswer(status: number, text: string, what: string): AppError {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.message === 'string') {
      const code = ERROR_CODES.includes(body.code as ErrorCode) ? (body.code as ErrorCode) : 'internal';
      return new AppError(code, body.message);
    }
  } catch {
    // not JSON: the status says enough
  }
  return new AppError('internal', `the Atelier server answered ${what} with HTTP ${status}`);
}
