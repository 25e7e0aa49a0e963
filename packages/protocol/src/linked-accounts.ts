// A user's accounts at the installation's sign-in providers (GET /api/v1/me/accounts): which are
// linked, what they grant, and where to link one or grant more. Never a token.
import { z } from 'zod';
import { authProviderTypeSchema } from './auth-provider-api.js';

export const linkedAccountSchema = z.object({
  providerId: z.string(),
  type: authProviderTypeSchema,
  host: z.string(),
  /** the caller's account at this provider; null: none is linked */
  linked: z
    .object({
      login: z.string(),
      email: z.string().nullable(),
      /** what the stored token was granted (none for OpenID Connect, whose tokens are not kept) */
      scopes: z.array(z.string()),
      /** the token was granted what private repositories need: Atelier clones and reads them with it */
      privateRepositories: z.boolean(),
      linkedAt: z.string(),
      lastSigninAt: z.string(),
    })
    .nullable(),
  /** /auth/<id>/login?link=1: links (or signs in again with) an account; add &returnTo=<path> */
  linkUrl: z.string(),
  /** the same, asking for access to private repositories; null for OpenID Connect (no repositories) */
  grantUrl: z.string().nullable(),
});
export type LinkedAccountDto = z.infer<typeof linkedAccountSchema>;
