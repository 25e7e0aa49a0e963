// Typed client of the Atelier HTTP API v1: JSON over fetch with the session cookie, errors as ApiError.
import {
  type AddSshKeyRequest,
  adminAuthProviderSchema,
  adminAuthProvidersSchema,
  authProviderSummarySchema,
  type CreateAuthProviderRequest,
  type CreateWorkspaceRequest,
  createTokenResponseSchema,
  createWorkspaceResponseSchema,
  errorBodySchema,
  linkedAccountSchema,
  ownerTokenResponseSchema,
  type PortVisibility,
  type PutUserEnvVarRequest,
  portSchema,
  setupStatusSchema,
  sshKeySchema,
  type UpdateAuthProviderRequest,
  type UserDto,
  type UserPreferences,
  userEnvVarSchema,
  userPreferencesResponseSchema,
  userSchema,
  type WorkspaceDto,
  workspaceSchema,
  workspaceTasksSchema,
  workspaceTimeoutSchema,
} from '@atelier/protocol';

/** An error the API returned ({code, message, details}) or one met on the way to it. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Any thrown value as an ApiError, so that every failure can be shown with a message. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError('internal', e instanceof Error ? e.message : String(e), 0);
}

/** Something that turns an unknown JSON value into T or throws (a zod schema fits). */
interface Parser<T> {
  parse(value: unknown): T;
}

let onUnauthenticated: () => void = () => {};
/** Called when a request is refused because the session is gone (not for a failed sign-in). */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

/** `parser` null: no body expected; 'text': the body as text (text/plain answers). */
async function request<T>(
  method: string,
  path: string,
  parser: Parser<T> | null | 'text',
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: parser === 'text' ? 'text/plain' : 'application/json' };
  // The server's CSRF guard: state changes must come from this origin and carry JSON.
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ApiError(
      'unavailable',
      `cannot reach the Atelier server (${reason}): check that it is running`,
      0,
    );
  }
  const text = await res.text();
  if (!res.ok) throw errorOf(res, method, path, text);
  if (parser === null) return undefined as T;
  if (parser === 'text') return text as T;
  try {
    return parser.parse(JSON.parse(text));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ApiError('internal', `unexpected answer to ${method} ${path}: ${reason}`, res.status);
  }
}

function errorOf(res: Response, method: string, path: string, text: string): ApiError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // not JSON (a proxy's error page): described by the status line below
  }
  const parsed = errorBodySchema.safeParse(json);
  const error = parsed.success
    ? new ApiError(parsed.data.code, parsed.data.message, res.status, parsed.data.details)
    : new ApiError(
        'unavailable',
        `the server answered ${res.status} ${res.statusText} to ${method} ${path}`,
        res.status,
      );
  if (res.status === 401 && path !== '/login') onUnauthenticated();
  return error;
}

export interface AccessToken {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** GET /tokens entries; @atelier/protocol has no schema for them yet. */
const tokenListParser: Parser<AccessToken[]> = {
  parse(value) {
    if (!Array.isArray(value)) throw new Error('expected a list of tokens');
    return value.map((v: unknown) => {
      const t = (v ?? {}) as Record<string, unknown>;
      const str = (k: string) => {
        if (typeof t[k] !== 'string') throw new Error(`token.${k} is not a string`);
        return t[k] as string;
      };
      const opt = (k: string) => (t[k] == null ? null : str(k));
      return {
        id: str('id'),
        name: str('name'),
        createdAt: str('createdAt'),
        expiresAt: opt('expiresAt'),
        lastUsedAt: opt('lastUsedAt'),
      };
    });
  },
};

const workspaceListParser: Parser<WorkspaceDto[]> = { parse: (v) => workspaceSchema.array().parse(v) };

export const api = {
  setupStatus: () => request('GET', '/setup', setupStatusSchema),
  setup: (body: { setupCode: string; name: string; password: string }): Promise<UserDto> =>
    request('POST', '/setup', userSchema, body),
  login: (body: { name: string; password: string }): Promise<UserDto> =>
    request('POST', '/login', userSchema, body),
  logout: () => request('POST', '/logout', null),

  authProviders: () => request('GET', '/auth/providers', authProviderSummarySchema.array()),

  // administrators; `force`: go ahead although accounts are linked under the provider's id
  listAdminAuthProviders: () => request('GET', '/admin/auth-providers', adminAuthProvidersSchema),
  createAuthProvider: (body: CreateAuthProviderRequest, force = false) =>
    request('POST', `/admin/auth-providers${force ? '?force=1' : ''}`, adminAuthProviderSchema, body),
  updateAuthProvider: (id: string, body: UpdateAuthProviderRequest, force = false) =>
    request(
      'PATCH',
      `/admin/auth-providers/${encodeURIComponent(id)}${force ? '?force=1' : ''}`,
      adminAuthProviderSchema,
      body,
    ),
  deleteAuthProvider: (id: string, force = false) =>
    request('DELETE', `/admin/auth-providers/${encodeURIComponent(id)}${force ? '?force=1' : ''}`, null),

  listWorkspaces: () => request('GET', '/workspaces', workspaceListParser),
  getWorkspace: (id: string) => request('GET', `/workspaces/${encodeURIComponent(id)}`, workspaceSchema),
  createWorkspace: (body: CreateWorkspaceRequest) =>
    request('POST', '/workspaces', createWorkspaceResponseSchema, body),
  startWorkspace: (id: string) =>
    request('POST', `/workspaces/${encodeURIComponent(id)}/start`, workspaceSchema),
  stopWorkspace: (id: string) =>
    request('POST', `/workspaces/${encodeURIComponent(id)}/stop`, workspaceSchema),
  deleteWorkspace: (id: string) => request('DELETE', `/workspaces/${encodeURIComponent(id)}`, null),
  workspaceTasks: (id: string) =>
    request('GET', `/workspaces/${encodeURIComponent(id)}/tasks`, workspaceTasksSchema),
  taskOutput: (id: string, index: number): Promise<string> =>
    request('GET', `/workspaces/${encodeURIComponent(id)}/tasks/${index}/output`, 'text'),
  setPortVisibility: (id: string, port: number, visibility: PortVisibility) =>
    request('PUT', `/workspaces/${encodeURIComponent(id)}/ports/${port}`, portSchema, { visibility }),
  ownerToken: (id: string) =>
    request('GET', `/workspaces/${encodeURIComponent(id)}/owner-token`, ownerTokenResponseSchema),

  listTokens: () => request('GET', '/tokens', tokenListParser),
  createToken: (body: { name: string; expiresInDays?: number }) =>
    request('POST', '/tokens', createTokenResponseSchema, body),
  deleteToken: (id: string) => request('DELETE', `/tokens/${encodeURIComponent(id)}`, null),

  setSharing: (id: string, shared: boolean) =>
    request('PUT', `/workspaces/${encodeURIComponent(id)}/sharing`, workspaceSchema, { shared }),

  listSshKeys: () => request('GET', '/user/ssh-keys', sshKeySchema.array()),
  addSshKey: (body: AddSshKeyRequest) => request('POST', '/user/ssh-keys', sshKeySchema, body),
  deleteSshKey: (id: string) => request('DELETE', `/user/ssh-keys/${encodeURIComponent(id)}`, null),

  getPreferences: () => request('GET', '/user/preferences', userPreferencesResponseSchema),
  setPreferences: (body: UserPreferences) =>
    request('PUT', '/user/preferences', userPreferencesResponseSchema, body),
  setWorkspaceTimeout: (id: string, timeout: string) =>
    request('PUT', `/workspaces/${encodeURIComponent(id)}/timeout`, workspaceTimeoutSchema, { timeout }),

  listAccounts: () => request('GET', '/me/accounts', linkedAccountSchema.array()),
  unlinkAccount: (providerId: string) =>
    request('DELETE', `/me/accounts/${encodeURIComponent(providerId)}`, null),

  listEnvVars: () => request('GET', '/user/env-vars', userEnvVarSchema.array()),
  putEnvVar: (body: PutUserEnvVarRequest) => request('PUT', '/user/env-vars', userEnvVarSchema, body),
  deleteEnvVar: (id: string) => request('DELETE', `/user/env-vars/${encodeURIComponent(id)}`, null),
};

/** The SSE stream of the caller's workspaces, or of one workspace. */
export const eventsUrl = (workspaceId?: string) =>
  workspaceId === undefined
    ? '/api/v1/events'
    : `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/events`;

/** The SSE stream of a workspace's image build log (the latest start). */
export const buildLogUrl = (workspaceId: string) =>
  `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/build-log?follow=true`;
