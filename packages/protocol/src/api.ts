// REST API v1 request and response bodies; server, dashboard and CLI share these schemas.
import { z } from 'zod';
import { phaseSchema } from './phases.js';

export const errorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.array(z.string()).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const portSchema = z.object({
  port: z.number().int(),
  url: z.string(),
  visibility: z.enum(['private', 'public']),
  /** served: something listens on it in the workspace */
  served: z.boolean(),
});
export type PortDto = z.infer<typeof portSchema>;

export const backupSchema = z.object({
  id: z.string(),
  instanceId: z.string(),
  objectKey: z.string(),
  size: z.number(),
  sha256: z.string(),
  createdAt: z.string(),
  verifiedAt: z.string().nullable(),
});
export type BackupDto = z.infer<typeof backupSchema>;

export const instanceSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  phase: phaseSchema,
  /** ISO time at which each phase was entered */
  phaseTimes: z.record(z.string(), z.string()),
  createdAt: z.string(),
  /** set when the instance failed; the message says what to do */
  failed: z.string().nullable(),
  /** human-readable detail of the current phase (e.g. "restoring backup 40%") */
  message: z.string().nullable(),
  stoppedReason: z.string().nullable(),
  contentSource: z.enum(['git', 'backup']).nullable(),
});
export type InstanceDto = z.infer<typeof instanceSchema>;

export const workspaceSchema = z.object({
  id: z.string(),
  ownerId: z.string(),
  contextUrl: z.string(),
  cloneUrl: z.string(),
  ref: z.string().nullable(),
  description: z.string(),
  createdAt: z.string(),
  url: z.string(),
  instance: instanceSchema.nullable(),
  ports: z.array(portSchema),
  lastBackup: backupSchema.nullable(),
});
export type WorkspaceDto = z.infer<typeof workspaceSchema>;

export const createWorkspaceRequestSchema = z.strictObject({
  contextUrl: z.string().min(1, 'contextUrl is required: a git URL such as https://host/owner/repo.git'),
  /** a branch, tag or commit to check out instead of the default branch */
  ref: z
    .string()
    .regex(/^[A-Za-z0-9._/-]{1,200}$/, 'ref must be a branch, tag or commit name')
    .refine((r) => !r.startsWith('-') && !r.includes('..'), 'ref must be a branch, tag or commit name')
    .optional(),
});
export type CreateWorkspaceRequest = z.infer<typeof createWorkspaceRequestSchema>;

export const createWorkspaceResponseSchema = z.object({
  id: z.string(),
  instanceId: z.string(),
  phase: phaseSchema,
  url: z.string(),
});
export type CreateWorkspaceResponse = z.infer<typeof createWorkspaceResponseSchema>;

export const ownerTokenResponseSchema = z.object({ ownerToken: z.string() });

export const createTokenRequestSchema = z.strictObject({
  name: z.string().min(1).max(100).default('cli'),
  /** lifetime in days; omitted: no expiry */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export const createTokenResponseSchema = z.object({ id: z.string(), token: z.string() });

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  admin: z.boolean(),
  createdAt: z.string(),
});
export type UserDto = z.infer<typeof userSchema>;

const userName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,38}$/i, 'a user name is 1–39 letters, digits, ".", "_" or "-"');
const password = z.string().min(8, 'a password has at least 8 characters').max(200);

export const loginRequestSchema = z.strictObject({ name: z.string().min(1), password: z.string().min(1) });
export const setupRequestSchema = z.strictObject({ setupCode: z.string().min(1), name: userName, password });
export const createUserRequestSchema = z.strictObject({
  name: userName,
  password,
  admin: z.boolean().default(false),
});
export const userNameSchema = userName;
export const passwordSchema = password;

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), z.string()),
});
export const setupStatusSchema = z.object({ needsSetup: z.boolean(), user: userSchema.nullable() });

/** Server-Sent Events of GET /api/v1/workspaces/{id}/events and /api/v1/events: event "workspace". */
export const workspaceEventSchema = workspaceSchema;
