// The OpenAPI 3.1 document of API v1; its schemas are generated from the protocol's zod schemas.
import {
  backupSchema,
  createTokenRequestSchema,
  createTokenResponseSchema,
  createWorkspaceRequestSchema,
  createWorkspaceResponseSchema,
  errorBodySchema,
  healthSchema,
  instanceSchema,
  loginRequestSchema,
  ownerTokenResponseSchema,
  portSchema,
  setupRequestSchema,
  setupStatusSchema,
  userSchema,
  WORKSPACE_ID_PATTERN,
  workspaceSchema,
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
  CreateTokenResponse: createTokenResponseSchema,
  Port: portSchema,
  Backup: backupSchema,
  Instance: instanceSchema,
  Workspace: workspaceSchema,
  CreateWorkspaceResponse: createWorkspaceResponseSchema,
  OwnerTokenResponse: ownerTokenResponseSchema,
} as const;
/** Request bodies are described as clients write them: fields with defaults are optional. */
const INPUT_SCHEMAS = {
  SetupRequest: setupRequestSchema,
  LoginRequest: loginRequestSchema,
  CreateTokenRequest: createTokenRequestSchema,
  CreateWorkspaceRequest: createWorkspaceRequestSchema,
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
  ok: { status: number; description: string; schema?: JsonSchema; eventStream?: boolean };
  errors?: Record<number, string>;
}

const workspaceIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: WORKSPACE_ID_PATTERN.source },
};
const tokenIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
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
  '/api/v1/workspaces': {
    post: {
      summary: 'Create a workspace from a repository and start it',
      body: 'CreateWorkspaceRequest',
      ok: { status: 201, description: 'created and starting', schema: ref('CreateWorkspaceResponse') },
      errors: { 403: 'file:// repositories are not allowed for the caller' },
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
  '/api/v1/workspaces/{id}/owner-token': {
    get: {
      summary: 'The owner token of the running instance (for the workspace hosts)',
      ok: { status: 200, description: 'the token', schema: ref('OwnerTokenResponse') },
      errors: { 409: 'no instance is active' },
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
  if (ok.eventStream) {
    responses[ok.status] = {
      description: ok.description,
      content: { 'text/event-stream': { schema: { type: 'string' } } },
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
  const parameters = path.includes('{id}')
    ? [path.startsWith('/api/v1/tokens') ? tokenIdParam : workspaceIdParam]
    : [];
  return {
    operationId: `${method}${path
      .replace('/api/v1', '')
      .replace(/\{id\}/g, 'ById')
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
