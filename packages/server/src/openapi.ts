// The OpenAPI 3.1 document of API v1; its schemas are generated from the protocol's zod schemas.
import {
  addSshKeyRequestSchema,
  adminAuthProviderSchema,
  adminAuthProvidersSchema,
  authProviderSummarySchema,
  backupSchema,
  createAuthProviderRequestSchema,
  createTokenRequestSchema,
  createTokenResponseSchema,
  createWorkspaceRequestSchema,
  createWorkspaceResponseSchema,
  errorBodySchema,
  gitCredentialsSchema,
  healthSchema,
  instanceSchema,
  linkedAccountSchema,
  loginRequestSchema,
  ownerTokenResponseSchema,
  portSchema,
  putUserEnvVarRequestSchema,
  setPortVisibilityRequestSchema,
  setupRequestSchema,
  setupStatusSchema,
  setWorkspaceSharingRequestSchema,
  setWorkspaceTimeoutRequestSchema,
  sshKeySchema,
  updateAuthProviderRequestSchema,
  userEnvVarSchema,
  userPreferencesResponseSchema,
  userPreferencesSchema,
  userSchema,
  WORKSPACE_ID_PATTERN,
  workspaceHeartbeatRequestSchema,
  workspacePortsSchema,
  workspaceSchema,
  workspaceTasksSchema,
  workspaceTimeoutSchema,
} from '@atelier/protocol';
import { z } from 'zod';

/** An entry of GET /api/v1/tokens (the token itself is never shown again). */
export const tokenSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

type JsonSchema = Record<string, unknown>;

const OUTPUT_SCHEMAS = {
  Error: errorBodySchema,
  Health: healthSchema,
  SetupStatus: setupStatusSchema,
  User: userSchema,
  TokenSummary: tokenSummarySchema,
  UserEnvVar: userEnvVarSchema,
  SshKey: sshKeySchema,
  CreateTokenResponse: createTokenResponseSchema,
  Port: portSchema,
  Backup: backupSchema,
  Instance: instanceSchema,
  Workspace: workspaceSchema,
  WorkspaceTasks: workspaceTasksSchema,
  CreateWorkspaceResponse: createWorkspaceResponseSchema,
  OwnerTokenResponse: ownerTokenResponseSchema,
  WorkspaceTimeout: workspaceTimeoutSchema,
  WorkspacePorts: workspacePortsSchema,
  UserPreferencesResponse: userPreferencesResponseSchema,
  AdminAuthProviders: adminAuthProvidersSchema,
  AdminAuthProvider: adminAuthProviderSchema,
  AuthProviderSummary: authProviderSummarySchema,
  GitCredentials: gitCredentialsSchema,
  LinkedAccount: linkedAccountSchema,
  WorkspaceEnvVars: z.object({
    variables: z.array(z.object({ name: z.string(), value: z.string(), repositoryPattern: z.string() })),
  }),
} as const;
/** Request bodies are described as clients write them: fields with defaults are optional. */
const INPUT_SCHEMAS = {
  SetupRequest: setupRequestSchema,
  LoginRequest: loginRequestSchema,
  CreateTokenRequest: createTokenRequestSchema,
  PutUserEnvVarRequest: putUserEnvVarRequestSchema,
  CreateWorkspaceRequest: createWorkspaceRequestSchema,
  SetPortVisibilityRequest: setPortVisibilityRequestSchema,
  SetWorkspaceSharingRequest: setWorkspaceSharingRequestSchema,
  AddSshKeyRequest: addSshKeyRequestSchema,
  WorkspaceHeartbeatRequest: workspaceHeartbeatRequestSchema,
  SetWorkspaceTimeoutRequest: setWorkspaceTimeoutRequestSchema,
  UserPreferences: userPreferencesSchema,
  CreateAuthProviderRequest: createAuthProviderRequestSchema,
  UpdateAuthProviderRequest: updateAuthProviderRequestSchema,
} as const;
type SchemaName = keyof typeof OUTPUT_SCHEMAS | keyof typeof INPUT_SCHEMAS;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(ref('Error')) });

interface Operation {
  summary: string;
  /** false: no credential needed */
  auth?: boolean;
  body?: SchemaName;
  ok: {
    status: number;
    description: string;
    schema?: JsonSchema;
    eventStream?: boolean;
    plainText?: boolean;
  };
  errors?: Record<number, string>;
  /** query parameters: name -> description */
  query?: Record<string, string>;
}

const workspaceIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: WORKSPACE_ID_PATTERN.source },
};
const tokenIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const providerIdParam = { name: 'providerId', in: 'path', required: true, schema: { type: 'string' } };
const portParam = {
  name: 'port',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1, maximum: 65535 },
};
const taskIndexParam = {
  name: 'index',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 0 },
};
const sse =
  'Server-Sent Events: event "workspace" (data: Workspace) on connect and on every change, "deleted" (data: {id}) when a workspace is gone, ": ping" comments every 15 s';

const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/api/v1/health': {
    get: {
      summary: 'Health of the database and the workspace engine',
      auth: false,
      ok: { status: 200, description: 'all checks ok', schema: ref('Health') },
      errors: { 503: 'a check failed (body: Health)' },
    },
  },
  '/api/v1/setup': {
    get: {
      summary: 'Whether the first administrator still has to be created',
      auth: false,
      ok: { status: 200, description: 'setup status', schema: ref('SetupStatus') },
    },
    post: {
      summary: 'Create the first administrator with the setup code printed by `atelier up`',
      auth: false,
      body: 'SetupRequest',
      ok: { status: 201, description: 'the administrator; the session cookie is set', schema: ref('User') },
      errors: { 403: 'wrong setup code', 409: 'setup is done already' },
    },
  },
  '/api/v1/login': {
    post: {
      summary: 'Sign in with a local account',
      auth: false,
      body: 'LoginRequest',
      ok: { status: 200, description: 'the user; the session cookie is set', schema: ref('User') },
      errors: { 401: 'wrong user name or password', 403: 'the user is blocked' },
    },
  },
  '/api/v1/logout': {
    post: { summary: 'End the session', auth: false, ok: { status: 204, description: 'signed out' } },
  },
  '/api/v1/me': {
    get: { summary: 'The signed-in user', ok: { status: 200, description: 'the user', schema: ref('User') } },
  },
  '/api/v1/tokens': {
    post: {
      summary: 'Create a personal access token (shown once)',
      body: 'CreateTokenRequest',
      ok: { status: 201, description: 'the new token', schema: ref('CreateTokenResponse') },
    },
    get: {
      summary: "The caller's access tokens",
      ok: { status: 200, description: 'tokens', schema: { type: 'array', items: ref('TokenSummary') } },
    },
  },
  '/api/v1/tokens/{id}': {
    delete: {
      summary: 'Delete one of the caller’s access tokens',
      ok: { status: 204, description: 'deleted' },
      errors: { 404: 'no such token of the caller' },
    },
  },
  '/api/v1/user/env-vars': {
    get: {
      summary: "The caller's environment variables for workspaces: names and patterns, never values",
      ok: { status: 200, description: 'variables', schema: { type: 'array', items: ref('UserEnvVar') } },
    },
    put: {
      summary:
        'Set an environment variable for the workspaces of repositories matching a pattern (the value is write-only)',
      body: 'PutUserEnvVarRequest',
      ok: {
        status: 200,
        description:
          'the variable, without its value; 201 when it was created, 200 when its value was replaced',
        schema: ref('UserEnvVar'),
      },
      errors: { 412: 'the caller has the most variables one user may have' },
    },
  },
  '/api/v1/user/env-vars/{id}': {
    delete: {
      summary:
        'Delete one of the caller’s environment variables (workspaces get it no more from their next start)',
      ok: { status: 204, description: 'deleted' },
      errors: { 404: 'no such variable of the caller' },
    },
  },
  '/api/v1/user/ssh-keys': {
    get: {
      summary: "The caller's SSH public keys (they open the SSH gateway to the caller's workspaces)",
      ok: { status: 200, description: 'keys', schema: { type: 'array', items: ref('SshKey') } },
    },
    post: {
      summary: 'Add an SSH public key (one line of an OpenSSH .pub file)',
      body: 'AddSshKeyRequest',
      ok: { status: 201, description: 'the key', schema: ref('SshKey') },
      errors: {
        409: 'the caller has this key already',
        412: 'the caller has the most keys one user may have',
      },
    },
  },
  '/api/v1/user/ssh-keys/{id}': {
    delete: {
      summary: 'Delete one of the caller’s SSH keys (it opens no new SSH session from now on)',
      ok: { status: 204, description: 'deleted' },
      errors: { 404: 'no such key of the caller' },
    },
  },
  '/api/v1/workspaces': {
    post: {
      summary:
        'Create a workspace from a context URL and start it: any page of a repository on a configured SCM (repository, branch or tag with a path, pull or merge request, issue, commit), resolved through its API with the caller’s token, or a plain git URL; prefixes VAR=v,…/, referrer:…/, imagebuild/',
      body: 'CreateWorkspaceRequest',
      ok: { status: 201, description: 'created and starting', schema: ref('CreateWorkspaceResponse') },
      errors: {
        403: 'file:// repositories are not allowed for the caller',
        404: 'the repository, pull request, issue, branch or commit does not exist, or the caller’s SCM token cannot see it (the message says which provider to sign in with or grant access)',
        412: 'a context this installation cannot open yet (snapshots; an SCM page whose API is not called)',
      },
    },
    get: {
      summary: "The caller's workspaces, newest first",
      ok: { status: 200, description: 'workspaces', schema: { type: 'array', items: ref('Workspace') } },
    },
  },
  '/api/v1/workspaces/{id}': {
    get: {
      summary: 'One workspace',
      ok: { status: 200, description: 'the workspace', schema: ref('Workspace') },
    },
    delete: {
      summary: 'Delete a workspace, its content and its backups',
      ok: { status: 204, description: 'deleted' },
    },
  },
  '/api/v1/workspaces/{id}/start': {
    post: {
      summary: 'Start a stopped workspace',
      ok: { status: 200, description: 'starting', schema: ref('Workspace') },
      errors: { 409: 'the workspace is not stopped' },
    },
  },
  '/api/v1/workspaces/{id}/stop': {
    post: {
      summary: 'Stop a workspace (its content is backed up)',
      ok: { status: 202, description: 'stopping', schema: ref('Workspace') },
      errors: { 409: 'nothing runs' },
    },
  },
  '/api/v1/workspaces/{id}/ports/{port}': {
    put: {
      summary:
        'Set who may reach a port: public without credential, private with the owner cookie or token only (running or not)',
      body: 'SetPortVisibilityRequest',
      ok: { status: 200, description: 'the port with its new visibility', schema: ref('Port') },
    },
  },
  '/api/v1/workspaces/{id}/sharing': {
    put: {
      summary:
        'Share the workspace with anyone who has its URL (IDE and every port), or make it the owner’s only again',
      body: 'SetWorkspaceSharingRequest',
      ok: { status: 200, description: 'the workspace', schema: ref('Workspace') },
    },
  },
  '/api/v1/workspaces/{id}/heartbeat': {
    post: {
      summary:
        'The user is active in the workspace (the supervisor relays the IDE, the terminal page and gp; `closed`: the IDE’s last tab went away)',
      body: 'WorkspaceHeartbeatRequest',
      ok: { status: 204, description: 'recorded' },
      errors: { 409: 'the instance is not running' },
    },
  },
  '/api/v1/workspaces/{id}/timeout': {
    get: {
      summary: 'The inactivity time-out in force, where it comes from, and the limits',
      ok: { status: 200, description: 'the time-out', schema: ref('WorkspaceTimeout') },
    },
    put: {
      summary:
        'Sets the workspace’s own inactivity time-out (gp timeout set; at most workspace.timeouts.userMax)',
      body: 'SetWorkspaceTimeoutRequest',
      ok: { status: 200, description: 'the time-out now', schema: ref('WorkspaceTimeout') },
      errors: { 403: 'the administrator does not let users change time-outs' },
    },
  },
  '/api/v1/workspaces/{id}/ports': {
    get: {
      summary: 'The workspace’s ports: configured, served and owner-set, with URL, visibility and state',
      ok: { status: 200, description: 'the ports', schema: ref('WorkspacePorts') },
    },
  },
  '/api/v1/workspaces/{id}/env-vars': {
    get: {
      summary: 'The owner’s variables that apply to this workspace, with their values (gp env)',
      ok: { status: 200, description: 'the variables', schema: ref('WorkspaceEnvVars') },
    },
  },
  '/api/v1/user/preferences': {
    get: {
      summary: 'The user’s preferences (IDE, default time-out) and the installation’s defaults',
      ok: { status: 200, description: 'the preferences', schema: ref('UserPreferencesResponse') },
    },
    put: {
      summary: 'Sets the user’s preferences; absent keys fall back to the defaults',
      body: 'UserPreferences',
      ok: { status: 200, description: 'the preferences now', schema: ref('UserPreferencesResponse') },
    },
  },
  '/api/v1/workspaces/{id}/owner-token': {
    get: {
      summary: 'The owner token of the running instance (for the workspace hosts)',
      ok: { status: 200, description: 'the token', schema: ref('OwnerTokenResponse') },
      errors: { 409: 'no instance is active' },
    },
  },
  '/api/v1/workspaces/{id}/tasks': {
    get: {
      summary:
        "The tasks of the workspace's latest instance: live while it runs, as they ended once it stopped",
      ok: { status: 200, description: 'the tasks', schema: ref('WorkspaceTasks') },
      errors: { 503: 'the running workspace did not answer' },
    },
  },
  '/api/v1/workspaces/{id}/tasks/{index}/output': {
    get: {
      summary: "A task's terminal output (ANSI escapes as written): so far while it runs, kept after a stop",
      ok: { status: 200, description: 'the output, text/plain', plainText: true },
      errors: { 503: 'the running workspace did not answer' },
    },
  },
  '/api/v1/workspaces/{id}/build-log': {
    get: {
      summary:
        "The image build log of the workspace's latest start: text, or with ?follow=true (or Accept: text/event-stream) events `log` {text} as it is written and one `end` {phase, failed} when the build is over",
      ok: { status: 200, description: 'the log so far (text/plain), or its events', plainText: true },
      errors: { 404: 'no such workspace of yours, or never started' },
    },
  },
  '/api/v1/workspaces/{id}/events': {
    get: { summary: 'Changes of one workspace', ok: { status: 200, description: sse, eventStream: true } },
  },
  '/api/v1/events': {
    get: {
      summary: "Changes of all the caller's workspaces",
      ok: { status: 200, description: sse, eventStream: true },
    },
  },
  '/api/v1/auth/providers': {
    get: {
      summary: 'The sign-in providers, for the sign-in page (no secrets)',
      ok: {
        status: 200,
        description: 'providers',
        schema: { type: 'array', items: ref('AuthProviderSummary') },
      },
    },
  },
  '/api/v1/me/accounts': {
    get: {
      summary:
        'Every sign-in provider with the caller’s account there (login, granted scopes, access to private repositories; never a token), and the URLs that link one or grant private repositories',
      ok: {
        status: 200,
        description: 'one entry per provider',
        schema: { type: 'array', items: ref('LinkedAccount') },
      },
      errors: { 403: 'a workspace token (accounts are managed on the dashboard or with an access token)' },
    },
  },
  '/api/v1/me/accounts/{providerId}': {
    delete: {
      summary: 'Unlink the caller’s account at a provider and delete its stored SCM token',
      ok: { status: 204, description: 'unlinked' },
      errors: {
        403: 'a workspace token',
        404: 'the caller has no account linked at that provider',
        409: 'it is the caller’s last way to sign in (no usable password, no other linked account): link another first',
      },
    },
  },
  '/api/v1/workspaces/{id}/git-credentials': {
    get: {
      summary:
        'The owner’s SCM token for a host, for git inside the workspace (gp credential-helper); the workspace’s own token only; query: host',
      ok: {
        status: 200,
        description: 'user name and token for git over https',
        schema: ref('GitCredentials'),
      },
      errors: {
        403: 'not the workspace’s own token',
        404: 'no SCM provider is configured for the host',
        412: 'the owner has no account linked at that provider, or its token expired and cannot be refreshed',
      },
    },
  },
  '/api/v1/admin/auth-providers': {
    get: {
      summary:
        'Administrators: every sign-in provider (the config file’s read-only) and the callback URL to register at one',
      ok: { status: 200, description: 'the providers', schema: ref('AdminAuthProviders') },
      errors: { 403: 'the caller is no administrator' },
    },
    post: {
      summary:
        'Administrators: add a sign-in provider (an entry of the config file’s authProviders; the client secret is write-only)',
      body: 'CreateAuthProviderRequest',
      query: { force: '1: add it although accounts were linked under its id before' },
      ok: { status: 201, description: 'the provider, without its secret', schema: ref('AdminAuthProvider') },
      errors: {
        403: 'the caller is no administrator',
        409: 'the id or host is taken (also by the config file)',
        412: 'accounts were linked under this id before; ?force=1 hands them to this provider',
      },
    },
  },
  '/api/v1/admin/auth-providers/{id}': {
    patch: {
      summary:
        'Administrators: change a provider added in the dashboard (not its id); an absent clientSecret keeps the stored one',
      body: 'UpdateAuthProviderRequest',
      query: { force: '1: change host or type although accounts are linked (the same server moved)' },
      ok: { status: 200, description: 'the provider, without its secret', schema: ref('AdminAuthProvider') },
      errors: {
        403: 'the caller is no administrator, or the provider comes from the config file',
        404: 'no such provider',
        409: 'the host is taken',
        412: 'host or type would change while accounts are linked',
      },
    },
    delete: {
      summary:
        'Administrators: delete a provider added in the dashboard; with ?force=1 also when accounts are linked (they are unlinked and their SCM tokens deleted)',
      query: { force: '1: delete it and unlink its accounts' },
      ok: { status: 204, description: 'deleted' },
      errors: {
        403: 'the caller is no administrator, or the provider comes from the config file',
        404: 'no such provider',
        412: 'accounts are linked to it',
      },
    },
  },
  '/api/v1/openapi.json': {
    get: {
      summary: 'This document',
      auth: false,
      ok: { status: 200, description: 'OpenAPI 3.1', schema: { type: 'object' } },
    },
  },
};

function operation(path: string, method: string, op: Operation): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  const { ok } = op;
  if (ok.eventStream || ok.plainText) {
    responses[ok.status] = {
      description: ok.description,
      content: { [ok.eventStream ? 'text/event-stream' : 'text/plain']: { schema: { type: 'string' } } },
    };
  } else {
    responses[ok.status] = ok.schema
      ? { description: ok.description, ...json(ok.schema) }
      : { description: ok.description };
  }
  if (op.body) responses[400] = error('invalid request: the details list every problem');
  if (op.auth !== false) responses[401] = error('no valid credential');
  if (path.includes('{id}') && path.startsWith('/api/v1/workspaces'))
    responses[404] = error('no such workspace of the caller');
  for (const [status, description] of Object.entries(op.errors ?? {})) responses[status] = error(description);
  const parameters: Record<string, unknown>[] = path.includes('{id}')
    ? [path.startsWith('/api/v1/workspaces') ? workspaceIdParam : tokenIdParam]
    : [];
  if (path.includes('{providerId}')) parameters.push(providerIdParam);
  if (path.includes('{port}')) parameters.push(portParam);
  if (path.includes('{index}')) parameters.push(taskIndexParam);
  for (const [name, description] of Object.entries(op.query ?? {})) {
    parameters.push({ name, in: 'query', required: false, description, schema: { type: 'string' } });
  }
  return {
    operationId: `${method}${path
      .replace('/api/v1', '')
      .replace(/\{id\}/g, 'ById')
      .replace(/\{providerId\}/g, 'ByProviderId')
      .replace(/\{port\}/g, 'ByPort')
      .replace(/\{index\}/g, 'ByIndex')
      .replace(/[/-](\w)/g, (_, ch: string) => ch.toUpperCase())}`,
    summary: op.summary,
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: true, ...json(ref(op.body)) } } : {}),
    responses,
    security: op.auth === false ? [] : [{ session: [] }, { bearer: [] }],
  };
}

/** The OpenAPI document; `cookieName` is the session cookie of this installation. */
export function openApiDocument(cookieName: string): Record<string, unknown> {
  const schemas: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(OUTPUT_SCHEMAS)) schemas[name] = jsonSchema(schema, 'output');
  for (const [name, schema] of Object.entries(INPUT_SCHEMAS)) schemas[name] = jsonSchema(schema, 'input');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, methods] of Object.entries(OPERATIONS)) {
    const entry: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(methods)) entry[method] = operation(path, method, op);
    paths[path] = entry;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Atelier API', version: '1' },
    paths,
    components: {
      schemas,
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: cookieName },
        bearer: { type: 'http', scheme: 'bearer', description: 'a personal access token (atl_…)' },
      },
    },
  };
}
