// An entry of the config file's authProviders; the administrators' API checks a provider by it too.
// Apart from config.ts so that the dashboard, which imports that API's schemas, does not bundle
// the whole config schema.
import { z } from 'zod';

const required = (what: string) => ({
  error: `is required: ${what} of the OAuth application registered at the provider`,
});

/** Loopback hosts: the only ones a provider may be reached at over plain http (local test servers). */
const LOOPBACK_HOST = /^(localhost|127(\.\d+){3}|\[::1\])(:\d{1,5})?(\/|$)/;

/** An Entra ID tenant's issuer: https://<login host>/<tenant>/v2.0, over http only on loopback (a test server). */
const ENTRA_ISSUER =
  /^(https:\/\/[a-z0-9.-]+(:\d{1,5})?|http:\/\/(localhost|127(\.\d+){3}|\[::1\])(:\d{1,5})?)\/[\w.-]+\/v2\.0\/?$/;

/**
 * An SCM or OIDC provider in the installer's shape (gitpod.md §8.1 authProviders): users sign in with
 * it, and for an SCM its repositories open with the user's token.
 */
export const authProviderConfigSchema = z
  .strictObject({
    /** stable id, e.g. Public-GitHub; identities are stored under it, so do not change it */
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1–64 letters, digits, ".", "_" or "-"' }),
    /** the SCM's host (with :port and a /path if it lives below one), e.g. github.com, gitlab.example.com */
    host: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[\w.~-]+)*$/, {
      message: 'must be a lower-case host name with an optional :port and /path, such as gitlab.example.com',
    }),
    type: z.enum(['GitHub', 'GitLab', 'Bitbucket', 'BitbucketServer', 'AzureDevOps', 'OIDC']),
    /** https unless the host is this machine's loopback (a local test server) */
    scheme: z.enum(['https', 'http']).default('https'),
    oauth: z.strictObject({
      clientId: z.string(required('the client ID')).min(1, required('the client ID')),
      /** never logged; stored sealed when added through the dashboard */
      clientSecret: z.string(required('the client secret')).min(1, required('the client secret')),
      /** what to register at the provider; default https://<domain>/auth/callback (must be that if given) */
      callBackUrl: z.url().optional(),
      /**
       * OIDC: the issuer whose /.well-known/openid-configuration names the endpoints.
       * AzureDevOps: the Microsoft Entra ID tenant its users sign in with, as the tenant's issuer
       * https://login.microsoftonline.com/<tenant ID>/v2.0 (the app registration's Endpoints page
       * shows it); sign-in goes to …/<tenant ID>/oauth2/v2.0/authorize and /token. Absent:
       * https://login.microsoftonline.com/organizations/v2.0 — any work or school account, for an
       * app registered as multi-tenant.
       */
      issuer: z.url().optional(),
    }),
  })
  .superRefine((p, ctx) => {
    if (p.scheme === 'http' && !LOOPBACK_HOST.test(p.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['scheme'],
        message: `http is only for a provider on this machine's loopback (${p.host} is not): use https`,
      });
    }
    if (p.type === 'AzureDevOps' && p.oauth.issuer && !ENTRA_ISSUER.test(p.oauth.issuer)) {
      ctx.addIssue({
        code: 'custom',
        path: ['oauth', 'issuer'],
        message:
          "an AzureDevOps provider's issuer is its Entra ID tenant's, https://login.microsoftonline.com/<tenant ID>/v2.0 — or leave it out to let any work or school account sign in",
      });
    }
    if (p.type === 'OIDC' && !p.oauth.issuer) {
      ctx.addIssue({
        code: 'custom',
        path: ['oauth', 'issuer'],
        message: 'an OIDC provider needs oauth.issuer',
      });
    }
  });
export type AuthProviderConfig = z.output<typeof authProviderConfigSchema>;
