// Sign-in with a provider: the list for the sign-in page, /auth/<provider>/login (to the provider's
// page) and /auth/callback (back from it: a session, then the page the user came from).
import { AppError, isAppError, workspaceIdSchema } from '@atelier/protocol';
import type { Hono } from 'hono';
import { readParam } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { gitCredentials } from '../scm/git-credentials.js';
import { SignIn } from '../scm/sign-in.js';
import type { RouteContext } from './context.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function oauthRoutes(app: Hono<AppEnv>, { deps, auth }: RouteContext): void {
  // the current list at every request: providers added in the dashboard work at once, on every replica
  const signIn = new SignIn(deps, () => deps.authProviders.list());

  app.get('/api/v1/auth/providers', async (c) =>
    c.json(
      (await deps.authProviders.list()).map((p) => ({
        id: p.id,
        type: p.type,
        host: p.host,
        loginUrl: `/auth/${encodeURIComponent(p.id)}/login`,
      })),
    ),
  );

  // git inside the workspace asks through gp credential-helper: only the workspace's own token
  app.get('/api/v1/workspaces/:id/git-credentials', async (c) => {
    const caller = await auth.caller(c);
    const id = readParam(c, 'id', workspaceIdSchema);
    if (!caller?.workspace || caller.workspace.workspaceId !== id) {
      throw new AppError(
        'permission_denied',
        'SCM tokens are handed to the workspace itself only (gp credential-helper)',
      );
    }
    const host = c.req.query('host');
    if (!host) throw new AppError('invalid_argument', 'add ?host=<the SCM host git asks about>');
    const credentials = await gitCredentials(deps, await deps.authProviders.list(), caller.user.id, host);
    deps.logger.info(
      { workspaceId: id, userId: caller.user.id, host },
      'git credentials handed to a workspace',
    );
    c.header('Cache-Control', 'no-store');
    return c.json(credentials);
  });

  app.get('/auth/:provider/login', async (c) => {
    const caller = await auth.caller(c).catch(() => null);
    const link = c.req.query('link') === '1' || c.req.query('repositories') === '1';
    const target = await signIn.start({
      providerId: c.req.param('provider'),
      returnTo: c.req.query('returnTo'),
      user: link && caller?.via === 'session' ? caller.user : null,
      repositories: c.req.query('repositories') === '1',
    });
    c.header('Cache-Control', 'no-store');
    return c.redirect(target, 302);
  });

  app.get('/auth/callback', async (c) => {
    try {
      const denied = c.req.query('error');
      if (denied) {
        throw new AppError(
          'permission_denied',
          `the provider did not sign you in (${denied}${c.req.query('error_description') ? `: ${c.req.query('error_description')}` : ''})`,
        );
      }
      const code = c.req.query('code');
      const state = c.req.query('state');
      if (!code || !state)
        throw new AppError('invalid_argument', 'the provider sent no code or no state back: sign in again');
      const { user, returnTo } = await signIn.complete({ code, state });
      await auth.startSession(c, user);
      return c.redirect(returnTo, 302);
    } catch (e) {
      if (!isAppError(e)) throw e;
      deps.logger.warn({ code: e.code, message: e.message }, 'sign-in with a provider refused');
      c.header('Cache-Control', 'no-store');
      return c.html(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in failed</title></head><body><h1>Sign-in failed</h1><p id="sign-in-error">${escapeHtml(e.message)}</p><p><a href="/">Back to Atelier</a></p></body></html>`,
        e.code === 'invalid_argument' ? 400 : 403,
      );
    }
  });
}
