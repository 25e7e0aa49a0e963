// Client of the supervisor's in-workspace API (packages/protocol/src/workspace-api.ts): every HTTP call the
// extension makes, each answer checked against the protocol's zod schemas.
import {
  errorBodySchema,
  formatIssues,
  type HeartbeatRequest,
  type IdeStatusDetail,
  ideStatusDetailSchema,
  type Notification,
  notificationSchema,
  type PortDto,
  workspaceApiPaths as paths,
  portSchema,
  type TasksStatus,
  tasksStatusSchema,
  WORKSPACE_API_ENV,
  type WorkspaceInfo,
  type WorkspacePorts,
  workspaceInfoSchema,
  workspacePortsSchema,
} from '@atelier/protocol';
import type { z } from 'zod';
import { readNdjson } from './ndjson.js';

/** How long a plain request may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 10_000;

/** A request that failed: `detail` is what to show a user, `message` adds the request for the log. */
export class SupervisorApiError extends Error {
  override readonly name = 'SupervisorApiError';
  constructor(
    readonly detail: string,
    readonly request: string,
    /** the HTTP status, when the supervisor answered */
    readonly status?: number,
    /** the error body's code (`not_found`, `permission_denied`, …), when it sent one */
    readonly code?: string,
  ) {
    super(`${request}: ${detail}`);
  }
}

/** The text to show a user for an error from this module (or anything else). */
export function userMessage(e: unknown): string {
  if (e instanceof SupervisorApiError) return e.detail;
  return e instanceof Error ? e.message : String(e);
}

export class SupervisorApi {
  private readonly base: string;

  constructor(
    /** ATELIER_SUPERVISOR_API, e.g. http://127.0.0.1:22998 */
    baseUrl: string,
    /** told about stream lines that do not match the contract (they are skipped) */
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  info(): Promise<WorkspaceInfo> {
    return this.json('GET', paths.info, workspaceInfoSchema);
  }

  tasks(): Promise<TasksStatus> {
    return this.json('GET', paths.tasks, tasksStatusSchema);
  }

  ports(): Promise<WorkspacePorts> {
    return this.json('GET', paths.ports, workspacePortsSchema);
  }

  ideStatus(): Promise<IdeStatusDetail> {
    return this.json('GET', paths.ideStatus, ideStatusDetailSchema);
  }

  setPortVisibility(port: number, visibility: PortDto['visibility']): Promise<PortDto> {
    return this.json('PUT', `${paths.port}/${port}/visibility`, portSchema, { visibility });
  }

  async heartbeat(request: HeartbeatRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<void> {
    const res = await this.send('POST', paths.heartbeat, request, timeoutMs);
    await res.body?.cancel(); // the answer carries nothing we use
  }

  /** The task list now and on each change, until `signal` aborts or the stream ends. */
  observeTasks(signal: AbortSignal): AsyncGenerator<TasksStatus> {
    return this.stream(`${paths.tasks}?observe=true`, tasksStatusSchema, signal);
  }

  /** The port list now and on each change, until `signal` aborts or the stream ends. */
  observePorts(signal: AbortSignal): AsyncGenerator<WorkspacePorts> {
    return this.stream(`${paths.ports}?observe=true`, workspacePortsSchema, signal);
  }

  /** What `gp open`, `gp preview` and port onOpen ask the IDE to do; keep-alive lines are left out. */
  async *notifications(signal: AbortSignal): AsyncGenerator<Notification> {
    for await (const line of this.lines(paths.notifications, signal)) {
      if (isKeepAlive(line)) continue;
      const parsed = notificationSchema.safeParse(line);
      if (parsed.success) yield parsed.data;
      else this.log(mismatch(`GET ${paths.notifications}`, parsed.error, line));
    }
  }

  /** The WebSocket URL of a terminal (ws:// or wss:// from the base URL's scheme). */
  terminalAttachUrl(alias: string): string {
    const url = new URL(`${this.base}${paths.terminalAttach}/${encodeURIComponent(alias)}`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  private async *stream<T>(path: string, schema: z.ZodType<T>, signal: AbortSignal): AsyncGenerator<T> {
    for await (const line of this.lines(path, signal)) {
      const parsed = schema.safeParse(line);
      if (parsed.success) yield parsed.data;
      else this.log(mismatch(`GET ${path}`, parsed.error, line));
    }
  }

  private async *lines(path: string, signal: AbortSignal): AsyncGenerator<unknown> {
    const res = await this.send('GET', path, undefined, undefined, signal);
    if (!res.body) throw new SupervisorApiError('the answer has no body', `GET ${path}`, res.status);
    try {
      yield* readNdjson(res.body, `GET ${path}`);
    } catch (e) {
      // fetch reports a connection cut mid-body as TypeError "terminated", the reason in its cause
      if (!(e instanceof TypeError) || signal.aborted) throw e;
      const why = e.cause instanceof Error ? e.cause.message : e.message;
      throw new SupervisorApiError(`the stream broke off (${why})`, `GET ${path}`);
    }
  }

  private async json<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const request = `${method} ${path}`;
    const res = await this.send(method, path, body, REQUEST_TIMEOUT_MS);
    let json: unknown;
    try {
      json = await res.json();
    } catch (e) {
      throw new SupervisorApiError(`the answer is not JSON (${(e as Error).message})`, request, res.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new SupervisorApiError(mismatch('', parsed.error, json), request, res.status);
    return parsed.data;
  }

  /** Sends a request and returns a 2xx response; anything else becomes a SupervisorApiError. */
  private async send(
    method: string,
    path: string,
    body: unknown,
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<Response> {
    const request = `${method} ${path}`;
    const signals = [signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)];
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.any(signals.filter((s) => s !== undefined)),
      });
    } catch (e) {
      throw new SupervisorApiError(this.whyUnreachable(e, timeoutMs), request);
    }
    if (res.ok) return res;
    const text = await res.text().catch((e: Error) => `(the body could not be read: ${e.message})`);
    const error = errorBodySchema.safeParse(safeJson(text));
    if (error.success) {
      const details = error.data.details?.length ? ` (${error.data.details.join('; ')})` : '';
      throw new SupervisorApiError(`${error.data.message}${details}`, request, res.status, error.data.code);
    }
    throw new SupervisorApiError(
      `HTTP ${res.status}: ${text.slice(0, 200) || res.statusText}`,
      request,
      res.status,
    );
  }

  private whyUnreachable(e: unknown, timeoutMs: number | undefined): string {
    if (e instanceof Error && e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    if (e instanceof Error && e.name === 'AbortError') return 'cancelled';
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : undefined;
    const code = cause && 'code' in cause ? String(cause.code) : cause?.message;
    const why = code ? ` (${code})` : '';
    return `cannot reach the supervisor at ${this.base}${why}: check ${WORKSPACE_API_ENV} and that the supervisor runs`;
  }
}

/** `{}`: the line the notification stream sends every 15 s to stay open. */
function isKeepAlive(line: unknown): boolean {
  return typeof line === 'object' && line !== null && !Array.isArray(line) && Object.keys(line).length === 0;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the caller shows the raw text instead
  }
}

function mismatch(request: string, error: z.ZodError, value: unknown): string {
  const where = request ? `${request}: ` : '';
  const shown = JSON.stringify(value)?.slice(0, 200);
  return `${where}the answer does not match the contract (${formatIssues(error.issues).join('; ')}): ${shown}`;
}
