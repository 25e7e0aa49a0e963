// `atelier workspace ...`: the workspace API from the command line, with --wait following the phases.
import {
  AppError,
  codeOfHttpStatus,
  createWorkspaceResponseSchema,
  errorBodySchema,
  type WorkspaceDto,
  workspaceSchema,
} from '@atelier/protocol';
import { z } from 'zod';
import { parseFlags } from './flags.js';

const flagsSchema = z.object({
  url: z.string().url().optional(),
  token: z.string().optional(),
  ref: z.string().optional(),
  wait: z.boolean().default(false),
  json: z.boolean().default(false),
});

export interface Api {
  base: string;
  token: string;
}

/** Where the API is and the token to call it with: flags first, then ATELIER_URL / ATELIER_TOKEN. */
export function apiFrom(values: { url?: string | undefined; token?: string | undefined }): Api {
  const token = values.token ?? process.env.ATELIER_TOKEN;
  if (!token)
    throw new AppError(
      'invalid_argument',
      'no access token: pass --token or set ATELIER_TOKEN (atelier admin token create --user N)',
    );
  return {
    base: (values.url ?? process.env.ATELIER_URL ?? 'http://localhost:8080').replace(/\/$/, ''),
    token,
  };
}

export async function runWorkspace(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      url: { type: 'string' },
      token: { type: 'string' },
      ref: { type: 'string' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    flagsSchema,
    2,
  );
  const [verb, arg] = positionals;
  const api = apiFrom(values);
  const need = (what: string) => {
    if (!arg) throw new AppError('invalid_argument', `usage: atelier workspace ${verb} ${what}`);
    return arg;
  };
  switch (verb) {
    case 'list': {
      const list = z.array(workspaceSchema).parse(await call(api, 'GET', '/api/v1/workspaces'));
      if (values.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else
        for (const w of list)
          process.stdout.write(`${w.id}\t${w.instance?.phase ?? 'stopped'}\t${w.contextUrl}\n`);
      return 0;
    }
    case 'create': {
      const body = { contextUrl: need('URL'), ...(values.ref ? { ref: values.ref } : {}) };
      const created = createWorkspaceResponseSchema.parse(
        await call(api, 'POST', '/api/v1/workspaces', body),
      );
      process.stdout.write(values.json ? `${JSON.stringify(created)}\n` : `${created.id}\n`);
      return values.wait ? follow(api, created.id, 'running') : 0;
    }
    case 'start':
      await call(api, 'POST', `/api/v1/workspaces/${need('ID')}/start`);
      return values.wait ? follow(api, need('ID'), 'running') : 0;
    case 'stop':
      await call(api, 'POST', `/api/v1/workspaces/${need('ID')}/stop`);
      return values.wait ? follow(api, need('ID'), 'stopped') : 0;
    case 'delete':
      await call(api, 'DELETE', `/api/v1/workspaces/${need('ID')}`);
      return 0;
    default:
      throw new AppError(
        'invalid_argument',
        'usage: atelier workspace list|create URL|start ID|stop ID|delete ID',
      );
  }
}

export async function call(api: Api, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${api.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${api.token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new AppError(
      'unavailable',
      `cannot reach Atelier at ${api.base}: ${(e as Error).message} — is atelier up running? (--url)`,
    );
  }
  if (res.status === 204) return undefined;
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const err = errorBodySchema.safeParse(parsed);
    throw new AppError(
      codeOfHttpStatus(res.status),
      err.success ? err.data.message : `HTTP ${res.status}`,
      err.success ? err.data.details : undefined,
    );
  }
  return parsed;
}

/** Server-Sent Events of a response body, as {event, data} (data lines joined). */
async function* sseEvents(body: AsyncIterable<unknown>): AsyncGenerator<{ event: string; data: string }> {
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n');
      const event =
        lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim() ?? 'message';
      if (data) yield { event, data };
    }
  }
}

const buildLogEventSchema = z.object({ text: z.string() });

/** Copies the workspace's image build log to stderr as it is written, until the build is over. */
async function followBuildLog(api: Api, id: string): Promise<void> {
  const res = await fetch(`${api.base}/api/v1/workspaces/${id}/build-log?follow=true`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  if (!res.ok || !res.body) return; // the phases still show; the log is there for later reading
  for await (const { event, data } of sseEvents(res.body)) {
    if (event === 'log') process.stderr.write(buildLogEventSchema.parse(JSON.parse(data)).text);
    if (event === 'end') return;
  }
}

/** Prints one progress line per change until the workspace reaches `goal` (or fails), and the build log. */
async function follow(api: Api, id: string, goal: 'running' | 'stopped'): Promise<number> {
  const res = await fetch(`${api.base}/api/v1/workspaces/${id}/events`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  if (!res.ok || !res.body)
    throw new AppError(codeOfHttpStatus(res.status), `cannot follow workspace ${id}: HTTP ${res.status}`);
  const started = Date.now();
  let last = '';
  let buildLog: Promise<void> | undefined;
  for await (const { data } of sseEvents(res.body)) {
    const ws: WorkspaceDto = workspaceSchema.parse(JSON.parse(data));
    const phase = ws.instance?.phase ?? 'stopped';
    if (phase === 'building' && goal === 'running')
      buildLog ??= followBuildLog(api, id).catch(() => undefined);
    // the build's own output first, then the phases that came after it
    if (buildLog && phase !== 'building') await buildLog;
    const line = `${((Date.now() - started) / 1000).toFixed(1)}s ${phase}${ws.instance?.message ? ` — ${ws.instance.message}` : ''}`;
    // while the build log streams, its lines say more than the phase's message
    if (line.replace(/^\S+ /, '') !== last && !(buildLog && phase === 'building'))
      process.stderr.write(`${line}\n`);
    last = line.replace(/^\S+ /, '');
    if (goal === 'running' && ws.instance?.failed) {
      await buildLog;
      throw new AppError('failed_precondition', `workspace ${id} failed: ${ws.instance.failed}`);
    }
    if (phase === goal) {
      await buildLog;
      return 0;
    }
  }
  throw new AppError('unavailable', 'the event stream ended before the workspace got there');
}
