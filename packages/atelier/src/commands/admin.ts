// `atelier admin ...`: accounts and tokens, straight on the data `atelier up` uses.
import { resealSecrets } from '@atelier/db';
import { AppError } from '@atelier/protocol';
import { createAccessToken, createUser } from '@atelier/server';
import { z } from 'zod';
import { openData } from '../compose.js';
import { loadConfig } from '../load-config.js';
import { configFlags, parseFlags } from './flags.js';

const userFlags = z.object({
  config: z.string().optional(),
  'data-dir': z.string().optional(),
  name: z.string({ error: '--name is required' }),
  password: z.string({ error: '--password is required' }),
  admin: z.boolean().default(false),
});
const configOnlyFlags = z.object({
  config: z.string().optional(),
  'data-dir': z.string().optional(),
});
const tokenFlags = z.object({
  config: z.string().optional(),
  'data-dir': z.string().optional(),
  user: z.string({ error: '--user is required' }),
  name: z.string().min(1).max(100).default('cli'),
});

export async function runAdmin(args: string[]): Promise<number> {
  const [noun, verb, ...rest] = args;
  if (noun === 'user' && verb === 'create') {
    const { values } = parseFlags(
      rest,
      { ...configFlags, name: { type: 'string' }, password: { type: 'string' }, admin: { type: 'boolean' } },
      userFlags,
    );
    return withData(values, async ({ repos }) => {
      const user = await createUser(repos, {
        name: values.name,
        password: values.password,
        admin: values.admin,
      });
      process.stdout.write(`created user ${user.name}${user.admin ? ' (admin)' : ''}\n`);
    });
  }
  if (noun === 'token' && verb === 'create') {
    const { values } = parseFlags(
      rest,
      { ...configFlags, user: { type: 'string' }, name: { type: 'string' } },
      tokenFlags,
    );
    return withData(values, async ({ repos }) => {
      const user = await repos.users.findByName(values.user);
      if (!user) throw new AppError('not_found', `no user named ${values.user}`);
      const { token } = await createAccessToken(repos, user.id, values.name);
      process.stdout.write(`${token}\n`);
    });
  }
  if (noun === 'secrets' && verb === 'reseal') {
    const { values } = parseFlags(rest, { ...configFlags }, configOnlyFlags);
    return withData(values, async ({ handle, secrets }) => {
      const { resealed, skipped } = await resealSecrets(handle.db, secrets);
      for (const [column, count] of Object.entries(resealed)) {
        process.stdout.write(`${column}: ${count} sealed again with key ${secrets.sealingKey}\n`);
      }
      if (skipped > 0)
        process.stdout.write(`${skipped} changed meanwhile and were left as they are: run again\n`);
      else
        process.stdout.write(
          'every secret is sealed with the first key: older keys may now leave auth.encryptionKeys\n',
        );
    });
  }
  throw new AppError(
    'invalid_argument',
    'usage: atelier admin user create --name N --password P [--admin] | admin token create --user N | admin secrets reseal',
  );
}

async function withData(
  values: { config?: string | undefined; 'data-dir'?: string | undefined },
  fn: (data: Awaited<ReturnType<typeof openData>>) => Promise<void>,
): Promise<number> {
  const loaded = await loadConfig({
    file: values.config,
    flags: values['data-dir'] ? { dataDir: values['data-dir'] } : {},
  });
  const data = await openData(loaded);
  try {
    await fn(data);
  } finally {
    await data.handle.close();
  }
  return 0;
}
