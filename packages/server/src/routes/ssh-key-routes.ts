// The signed-in user's SSH public keys: they open the SSH gateway to the user's workspaces.
import type { UserSshKey } from '@atelier/db';
import { AppError, addSshKeyRequestSchema, MAX_SSH_KEYS, type SshKeyDto } from '@atelier/protocol';
import type { Hono } from 'hono';
import { readJson } from '../api-errors.js';
import type { AppEnv } from '../app-env.js';
import { parseSshPublicKey } from '../ssh/public-keys.js';
import { iso } from '../workspaces/dto.js';
import type { RouteContext } from './context.js';

const sshKeyDto = (k: UserSshKey): SshKeyDto => ({
  id: k.id,
  name: k.name,
  algorithm: k.publicKey.split(' ')[0] ?? '',
  fingerprint: k.fingerprint,
  createdAt: iso(k.createdAt),
  lastUsedAt: k.lastUsedAt === null ? null : iso(k.lastUsedAt),
});

export function sshKeyRoutes(app: Hono<AppEnv>, { deps, auth }: RouteContext): void {
  const { repos, logger } = deps;

  app.get('/api/v1/user/ssh-keys', async (c) => {
    const user = await auth.requireUser(c);
    return c.json((await repos.sshKeys.list(user.id)).map(sshKeyDto));
  });

  app.post('/api/v1/user/ssh-keys', async (c) => {
    const user = await auth.requireUser(c);
    const body = await readJson(c, addSshKeyRequestSchema);
    const key = parseSshPublicKey(body.publicKey);
    if ((await repos.sshKeys.list(user.id)).length >= MAX_SSH_KEYS) {
      throw new AppError(
        'failed_precondition',
        `you have ${MAX_SSH_KEYS} SSH keys, the most one user may have: delete some first`,
      );
    }
    const row = await repos.sshKeys.add({
      userId: user.id,
      name: body.name ?? (key.comment.slice(0, 100) || key.algorithm),
      publicKey: key.publicKey,
      fingerprint: key.fingerprint,
    });
    logger.info({ userId: user.id, sshKeyId: row.id, fingerprint: row.fingerprint }, 'ssh key added');
    return c.json(sshKeyDto(row), 201);
  });

  app.delete('/api/v1/user/ssh-keys/:id', async (c) => {
    const user = await auth.requireUser(c);
    const id = c.req.param('id');
    if (!(await repos.sshKeys.delete(user.id, id))) {
      throw new AppError('not_found', `SSH key ${id} not found`);
    }
    logger.info({ userId: user.id, sshKeyId: id }, 'ssh key deleted');
    return c.body(null, 204);
  });
}
