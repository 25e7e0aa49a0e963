// Health, first-user setup, login, logout and the current user.
import { randomUUID } from 'node:crypto';
import { AppError, loginRequestSchema, setupRequestSchema } from '@atelier/protocol';
import type { Hono } from 'hono';
import { createUser, userDto } from '../accounts.js';
import { readJson } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import { deleteSetupCode, SETUP_CODE_HINT, setupCodeMatches } from '../setup-code.js';
import { NO_STORE, type RouteContext } from './context.js';

export function accountRoutes(app: Hono<AppEnv>, { deps, auth }: RouteContext): void {
  const { repos, secrets, manager, logger } = deps;
  /** unknown user names are checked against this, so they take as long as wrong passwords */
  const dummyHash = hashPassword(randomUUID());
  /** one setup at a time in this process; the user count is checked again inside */
  let setupQueue: Promise<unknown> = Promise.resolve();

  app.get('/api/v1/health', async (c) => {
    const database = await repos.users
      .count()
      .then(() => 'ok')
      .catch((e: unknown) => `database error: ${e instanceof Error ? e.message : String(e)}`);
    const engine = await manager
      .health()
      .then((h) => h.engine)
      .catch((e: unknown) => `workspace manager error: ${e instanceof Error ? e.message : String(e)}`);
    const ok = database === 'ok' && engine === 'ok';
    return c.json({ status: ok ? 'ok' : 'degraded', checks: { database, engine } }, ok ? 200 : 503);
  });

  app.get('/api/v1/setup', async (c) => {
    const caller = await auth.caller(c).catch(() => null);
    const needsSetup = (await repos.users.count()) === 0;
    return c.json({ needsSetup, user: caller ? userDto(caller.user) : null });
  });

  app.post('/api/v1/setup', async (c) => {
    const body = await readJson(c, setupRequestSchema);
    const run = setupQueue.then(async () => {
      if ((await repos.users.count()) > 0) {
        throw new AppError('conflict', 'setup is done already: sign in with your account');
      }
      if (!(await setupCodeMatches(repos, secrets, body.setupCode))) {
        throw new AppError('permission_denied', SETUP_CODE_HINT);
      }
      const user = await createUser(repos, { name: body.name, password: body.password, admin: true });
      await deleteSetupCode(repos);
      return user;
    });
    setupQueue = run.catch(() => undefined);
    const user = await run;
    logger.info({ userId: user.id }, 'first administrator created');
    await auth.startSession(c, user);
    return c.json(userDto(user), 201);
  });

  app.post('/api/v1/login', async (c) => {
    const body = await readJson(c, loginRequestSchema);
    const user = await repos.users.findByName(body.name);
    const matches = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash));
    if (!user?.passwordHash || !matches) throw new AppError('unauthenticated', 'wrong user name or password');
    if (user.blocked) {
      throw new AppError(
        'permission_denied',
        `user ${user.name} is blocked: ask an administrator to unblock it`,
      );
    }
    // administrators keep their password, so that an installation cannot lock itself out
    if (!deps.config.auth.localAccounts && !user.admin) {
      throw new AppError(
        'permission_denied',
        'sign-in with a password is turned off here (auth.localAccounts: false): continue with one of the providers',
      );
    }
    await auth.startSession(c, user);
    return c.json(userDto(user), 200);
  });

  app.post('/api/v1/logout', async (c) => {
    await auth.endSession(c);
    return c.body(null, 204);
  });

  app.get('/api/v1/me', async (c) => {
    const user = await auth.requireUser(c);
    return c.json(userDto(user), 200, NO_STORE);
  });
}
