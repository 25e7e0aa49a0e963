// HTTP client of a workspace's supervisor: status, content-ready, ports, tasks, and the TCP tunnel.
import http from 'node:http';
import net from 'node:net';
import {
  AppError,
  type ContentSource,
  type ContentStatus,
  contentStatusSchema,
  type PortsStatus,
  portsStatusSchema,
  SUPERVISOR_TOKEN_HEADER,
  supervisorPaths,
  type TasksStatus,
  TUNNEL_PROTOCOL,
  tasksStatusSchema,
} from '@atelier/protocol';
import type { z } from 'zod';
import type { SupervisorEndpoint } from './types.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

export class SupervisorClient {
  constructor(private readonly endpoint: SupervisorEndpoint) {}

  /** Content status; with `wait`, the supervisor holds the answer until content is ready (≤ 30 s). */
  contentStatus(wait: boolean, signal?: AbortSignal): Promise<ContentStatus> {
    const path = `${supervisorPaths.statusContent}${wait ? '/wait/true' : ''}`;
    return this.json('GET', path, contentStatusSchema, undefined, wait ? 40_000 : 5_000, signal);
  }

  async contentReady(source: ContentSource): Promise<void> {
    await this.request('POST', supervisorPaths.contentReady, JSON.stringify({ source }), 10_000);
  }

  ports(): Promise<PortsStatus> {
    return this.json('GET', supervisorPaths.statusPorts, portsStatusSchema, undefined, 5_000);
  }

  /** The workspace's tasks and the state of their terminals. */
  tasks(): Promise<TasksStatus> {
    return this.json('GET', supervisorPaths.statusTasks, tasksStatusSchema, undefined, 5_000);
  }

  /** What task `index` wrote to its terminal so far (the scrollback, ANSI escapes included). */
  taskOutput(index: number, timeoutMs = 10_000): Promise<string> {
    return this.request('GET', `${supervisorPaths.taskOutput}/${index}`, undefined, timeoutMs);
  }

  /** A raw TCP connection to `port` inside the workspace, through the supervisor. */
  openTunnel(port: number, timeoutMs = 10_000): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: this.endpoint.host,
        port: this.endpoint.port,
        path: `${supervisorPaths.tunnel}/${port}`,
        headers: {
          Connection: 'Upgrade',
          Upgrade: TUNNEL_PROTOCOL,
          [SUPERVISOR_TOKEN_HEADER]: this.endpoint.token,
        },
        timeout: timeoutMs,
      });
      req.on('upgrade', (_res, socket, head) => {
        socket.setTimeout(0);
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        collect(res).then(
          (body) =>
            reject(new AppError('unavailable', messageFrom(body) ?? `nothing listens on port ${port}`)),
          reject,
        );
      });
      req.on('timeout', () =>
        req.destroy(new AppError('unavailable', `the workspace did not answer in ${timeoutMs} ms`)),
      );
      req.on('error', (e) => reject(e instanceof AppError ? e : unreachable(e)));
      req.end();
    });
  }

  /** Plain TCP connection to the supervisor's HTTP server (the proxy speaks HTTP over it). */
  connect(timeoutMs = 10_000): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.endpoint.host, port: this.endpoint.port });
      socket.setTimeout(timeoutMs, () =>
        socket.destroy(new AppError('unavailable', 'the workspace did not answer')),
      );
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(socket);
      });
      socket.once('error', (e) => reject(e instanceof AppError ? e : unreachable(e)));
    });
  }

  get authHeaders(): Record<string, string> {
    return { [SUPERVISOR_TOKEN_HEADER]: this.endpoint.token };
  }

  private async json<T extends z.ZodType>(
    method: string,
    path: string,
    schema: T,
    body: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<z.output<T>> {
    const text = await this.request(method, path, body, timeoutMs, signal);
    return schema.parse(JSON.parse(text));
  }

  private request(
    method: string,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ) {
    return new Promise<string>((resolve, reject) => {
      const req = http.request({
        agent,
        host: this.endpoint.host,
        port: this.endpoint.port,
        method,
        path,
        timeout: timeoutMs,
        signal,
        headers: {
          [SUPERVISOR_TOKEN_HEADER]: this.endpoint.token,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
      });
      req.on('response', (res) => {
        collect(res).then((text) => {
          if ((res.statusCode ?? 500) < 300) resolve(text);
          else
            reject(
              new AppError(
                'unavailable',
                `supervisor answered ${res.statusCode}: ${messageFrom(text) ?? text}`,
              ),
            );
        }, reject);
      });
      req.on('timeout', () =>
        req.destroy(new AppError('unavailable', `the supervisor did not answer ${path} in time`)),
      );
      req.on('error', (e) => reject(e instanceof AppError ? e : unreachable(e)));
      req.end(body);
    });
  }
}

function unreachable(e: Error): AppError {
  return new AppError('unavailable', `cannot reach the workspace's supervisor: ${e.message}`, undefined, {
    cause: e,
  });
}

function collect(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function messageFrom(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined; // not JSON: the caller falls back to the raw text
  }
}
