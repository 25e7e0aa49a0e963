// fake-azure-devops: Azure DevOps Services with sign-in through Microsoft Entra ID (v2.0 endpoints
// under any tenant, PKCE, refresh tokens), the profile API, Git REST API 7.1 and git smart HTTP.
import type { IncomingMessage } from 'node:http';
import { gitRoutes, guid, repoByName, vssError } from './azure-devops-git.js';
import { type OAuthFailure, redeemTokenRequest } from './oauth.js';
import type { FakeScm, FakeScmSpec } from './repos.js';
import {
  type ApiRequest,
  type FakeCore,
  hasAny,
  type Provider,
  type Reply,
  startFake,
  type TokenRequest,
} from './server.js';

/** Azure DevOps' application id in Entra ID: its scopes are `<id>/<scope>`. */
export const AZURE_DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';
export const adoScope = (name: string) => `${AZURE_DEVOPS_RESOURCE}/${name}`;

/** `.default` grants what the app registration was given: here Azure DevOps' user_impersonation. */
const FULL = [adoScope('.default'), adoScope('user_impersonation')];
const READ_SCOPES = [
  ...FULL,
  ...['vso.code', 'vso.code_write', 'vso.code_manage', 'vso.code_full'].map(adoScope),
];
const WRITE_SCOPES = [...FULL, ...['vso.code_write', 'vso.code_manage', 'vso.code_full'].map(adoScope)];
const PROFILE_SCOPES = [...FULL, adoScope('vso.profile'), adoScope('vso.profile_write')];
/** OpenID Connect scopes: asked for beside a resource's, never part of its access token */
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

const entraErrors: Record<OAuthFailure, [number, string, string]> = {
  invalid_client: [
    401,
    'invalid_client',
    'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
  ],
  redirect_uri_mismatch: [
    400,
    'invalid_grant',
    'AADSTS50011: The redirect URI specified in the request does not match the redirect URI of the authorization request.',
  ],
  invalid_code: [
    400,
    'invalid_grant',
    "AADSTS70000: The provided value for the 'code' parameter is not valid. The code has expired, was redeemed already or was issued to another client.",
  ],
  invalid_verifier: [
    400,
    'invalid_grant',
    'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  ],
  invalid_refresh_token: [
    400,
    'invalid_grant',
    'AADSTS9002313: Invalid request. The refresh token is malformed, expired or was issued to another client.',
  ],
  unsupported_grant_type: [
    400,
    'unsupported_grant_type',
    'AADSTS70003: The app requested an unsupported grant type.',
  ],
};

/** `POST /{tenant}/oauth2/v2.0/token`: client_secret_post (or HTTP Basic); a refresh token with offline_access. */
function token(core: FakeCore, req: TokenRequest, _headers: IncomingMessage['headers']): Reply {
  const clientId = req.client_id ?? req.basicUser ?? '';
  const clientSecret = req.client_secret ?? req.basicPassword ?? '';
  const { grantType, result } = redeemTokenRequest(core.store, req, { clientId, clientSecret });
  if (!result.ok) {
    const [status, error, description] = entraErrors[result.failure];
    core.log.push({ kind: 'token', clientId, grantType, error });
    const code = Number(/AADSTS(\d+)/.exec(description)?.[1]);
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return {
      status,
      body: {
        error,
        error_description: description,
        error_codes: [code],
        timestamp,
        trace_id: guid(code),
        correlation_id: guid(code + 1),
      },
    };
  }
  const g = result.grant;
  core.log.push({ kind: 'token', clientId, grantType, login: g.login });
  const lifetime = g.expiresIn ?? 3599;
  const granted = g.scopes
    .filter((s) => !OIDC_SCOPES.includes(s))
    .map((s) => (s === adoScope('.default') ? adoScope('user_impersonation') : s));
  return {
    status: 200,
    body: {
      token_type: 'Bearer',
      scope: granted.join(' '),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: g.accessToken,
      ...(g.scopes.includes('offline_access') && { refresh_token: g.refreshToken }),
    },
  };
}

const apiError = (status: 401 | 404, message?: string): Reply =>
  status === 401
    ? vssError(
        401,
        'UnauthorizedRequestException',
        message ?? 'TF400813: The user is not authorized to access this resource.',
      )
    : vssError(404, 'NotFoundException', message ?? 'The resource cannot be found.');

/**
 * What an anonymous request that needs a user gets: with `X-TFS-FedAuthRedirect: Suppress` a 401,
 * else (as a browser would) 203 and the sign-in page — the quirk every API client has to suppress.
 */
function anonymous(req: ApiRequest): Reply {
  if (String(req.headers['x-tfs-fedauthredirect'] ?? '').toLowerCase() === 'suppress') {
    const reply = apiError(
      401,
      'TF400813: Resource not available for anonymous access. Client authentication required.',
    );
    return {
      ...reply,
      headers: {
        'www-authenticate': 'Bearer authorization_uri=https://login.microsoftonline.com/organizations',
      },
    };
  }
  return {
    status: 203,
    body: '<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in</body></html>\n',
    headers: { 'content-type': 'text/html; charset=utf-8' },
  };
}

/** `GET /_apis/profile/profiles/me` (app.vssps.visualstudio.com): the signed-in user. */
function profile(core: FakeCore, req: ApiRequest): Reply {
  const user = core.user(req.caller?.login ?? '');
  if (!user || !req.caller) return anonymous(req);
  if (!hasAny(req.caller.scopes, PROFILE_SCOPES)) {
    return vssError(
      401,
      'UnauthorizedRequestException',
      'VS30063: You are not authorized to access https://app.vssps.visualstudio.com. The token lacks the vso.profile scope.',
    );
  }
  const id = guid(user.id);
  return {
    status: 200,
    body: {
      displayName: user.name,
      publicAlias: id,
      emailAddress: user.email,
      coreRevision: 1,
      timeStamp: '2024-01-01T12:00:00+00:00',
      id,
      revision: 1,
    },
  };
}

/** `api-version` from the query or the Accept header (`application/json; api-version=7.1`). */
function apiVersion(req: ApiRequest): string | undefined {
  const accept = /api-version=([\w.-]+)/.exec(String(req.headers.accept ?? ''))?.[1];
  return req.query.get('api-version') ?? accept;
}

async function api(core: FakeCore, req: ApiRequest): Promise<Reply> {
  const version = apiVersion(req);
  if (!version) {
    return vssError(
      400,
      'VssVersionNotSpecifiedException',
      `No api-version was supplied for the "${req.method}" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=7.1") or as a query parameter (e.g. "?api-version=7.1").`,
    );
  }
  if (!/^[1-7]\.\d+(-preview(\.\d+)?)?$/.test(version)) {
    return vssError(
      400,
      'VssVersionOutOfRangeException',
      `The requested REST API version of ${version} is out of range for this server. The latest REST API version this server supports is 7.1.`,
    );
  }
  if (req.method === 'GET' && req.path === '/profile/profiles/me') return profile(core, req);
  // /{organization}/{project}/_apis/git/repositories/{repository}[/…]
  const m = /^\/([^/]+)\/([^/]+)\/_apis\/git\/repositories\/([^/]+)(\/.*)?$/i.exec(req.path);
  if (!m) return apiError(404, `fake-azure-devops serves no API at ${req.path}`);
  const [org, project, repoName] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ''));
  const repo = repoByName(core, org ?? '', project ?? '', repoName ?? '');
  if (!req.caller && (!repo || repo.spec.private)) return anonymous(req);
  if (!repo || !core.canRead(repo, req.caller)) {
    return vssError(
      404,
      'GitRepositoryNotFoundException',
      `TF401019: The Git repository with name or identifier ${repoName} does not exist or you do not have permissions for the operation you are attempting.`,
    );
  }
  return gitRoutes(core, req, repo, m[4] ?? '');
}

/** `/{org}/{project}/_git/{repo}[/…]`, or `/{org}/_git/{repo}` for the project named like its repository. */
function gitPath(pathname: string): { repo: string; rest: string } | undefined {
  const full = /^\/([^/]+)\/([^/]+)\/_git\/([^/]+)(\/.*)$/.exec(pathname);
  const short = full ? null : /^\/([^/]+)\/_git\/([^/]+)(\/.*)$/.exec(pathname);
  const parts = full ? [full[1], full[2], full[3]] : short ? [short[1], short[2], short[2]] : undefined;
  const rest = full?.[4] ?? short?.[3];
  if (!parts || rest === undefined) return undefined;
  return { repo: parts.map((p) => decodeURIComponent(p ?? '')).join('/'), rest };
}

export const azureDevOpsProvider: Provider = {
  name: 'fake-azure-devops',
  // login.microsoftonline.com/{tenant}/oauth2/v2.0/…: any tenant (organizations, common, a GUID, a domain)
  authorizePath: /^\/[\w.-]+\/oauth2\/v2\.0\/authorize$/,
  tokenPath: /^\/[\w.-]+\/oauth2\/v2\.0\/token$/,
  // app.vssps.visualstudio.com/_apis/profile/…; dev.azure.com/{org}/{project}/_apis/git/…
  apiPrefix: '/_apis',
  isApiPath: (pathname) => /^\/[^/]+\/[^/]+\/_apis\//.test(pathname),
  gitPath,
  // Entra access tokens are JWTs; the fake's only look like one
  tokenPrefix: 'eyJ0eXAiOiJKV1QifQ.',
  // Entra asks for a scope; without one nothing is granted
  defaultScopes: [],
  alwaysRefreshToken: true,
  readScopes: READ_SCOPES,
  writeScopes: WRITE_SCOPES,
  token,
  api,
  apiError,
};

/**
 * Starts fake-azure-devops on 127.0.0.1. Entra ID at /{tenant}/oauth2/v2.0/{authorize,token}, the
 * profile at /_apis/profile/profiles/me, the Git API at /{org}/{project}/_apis/git/…, git at
 * /{org}/{project}/_git/{repo}. A repository's `owner` is `<organization>/<project>`. Access tokens
 * expire after an hour (tokenLifetimeSeconds), as Entra's do.
 */
export function startFakeAzureDevOps(spec: FakeScmSpec, opts: { dir?: string } = {}): Promise<FakeScm> {
  for (const repo of spec.repos) {
    if (repo.owner.split('/').length !== 2) {
      throw new Error(
        `fake-azure-devops: owner ${repo.owner} of ${repo.name} must be <organization>/<project>`,
      );
    }
  }
  return startFake(
    { ...spec, tokenLifetimeSeconds: spec.tokenLifetimeSeconds ?? 3599 },
    azureDevOpsProvider,
    opts.dir,
  );
}
