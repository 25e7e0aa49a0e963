// The administrators' API of sign-in providers (/api/v1/admin/auth-providers): a provider is added
// in the config file's shape and checked by the same schema; its client secret is write-only.
import { z } from 'zod';
import { authProviderConfigSchema } from './auth-provider-config.js';

const fields = authProviderConfigSchema.shape;
const oauthFields = fields.oauth.shape;

export const authProviderTypeSchema = fields.type;
export type AuthProviderType = z.infer<typeof authProviderTypeSchema>;
export const AUTH_PROVIDER_TYPES = authProviderTypeSchema.options;

/** A provider as administrators see it: where it comes from and what to register at it; never its secret. */
export const adminAuthProviderSchema = z.object({
  id: z.string(),
  /** one of AUTH_PROVIDER_TYPES */
  type: z.string(),
  host: z.string(),
  scheme: z.enum(['https', 'http']),
  clientId: z.string(),
  /** the client secret itself is never returned */
  clientSecretSet: z.boolean(),
  issuer: z.string().nullable(),
  /** the redirect URI to register at the provider: <dashboard>/auth/callback */
  callbackUrl: z.string(),
  /** config: authProviders of the config file (read-only here); dashboard: added by an administrator */
  source: z.enum(['config', 'dashboard']),
  /** accounts users signed in with through it */
  linkedAccounts: z.number().int(),
  /** why sign-in with it does not work (e.g. its secret's key left the key ring); null: it works */
  problem: z.string().nullable(),
  /** null for the config file's */
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type AdminAuthProviderDto = z.infer<typeof adminAuthProviderSchema>;

/** GET /api/v1/admin/auth-providers: the callback URL comes first, since it is registered before a provider exists. */
export const adminAuthProvidersSchema = z.object({
  callbackUrl: z.string(),
  providers: z.array(adminAuthProviderSchema),
});
export type AdminAuthProvidersDto = z.infer<typeof adminAuthProvidersSchema>;

/** POST /api/v1/admin/auth-providers: an entry of the config file's authProviders, checked by its rules. */
export const createAuthProviderRequestSchema = authProviderConfigSchema;
export type CreateAuthProviderRequest = z.input<typeof createAuthProviderRequestSchema>;

/**
 * PATCH /api/v1/admin/auth-providers/{id}: the fields to change; the result is checked as a whole
 * by the config file's rules. An absent clientSecret keeps the stored one; issuer null removes it.
 */
export const updateAuthProviderRequestSchema = z.strictObject({
  id: z
    .never({
      error: 'the id cannot change: accounts are linked under it — add a provider with the new id instead',
    })
    .optional(),
  host: fields.host.optional(),
  type: fields.type.optional(),
  scheme: z.enum(['https', 'http']).optional(),
  oauth: z
    .strictObject({
      clientId: oauthFields.clientId.optional(),
      clientSecret: oauthFields.clientSecret.optional(),
      callBackUrl: oauthFields.callBackUrl,
      issuer: z.url().nullable().optional(),
    })
    .optional(),
});
export type UpdateAuthProviderRequest = z.input<typeof updateAuthProviderRequestSchema>;
