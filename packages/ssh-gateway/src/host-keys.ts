// Host keys: from files (a cluster mounts the same secret into every replica, so all answer with
// the same keys), or made once in a folder and kept, so that clients' known_hosts stay valid.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@atelier/protocol';
import ssh2 from 'ssh2';

const { utils } = ssh2;

/** Checks that a file holds a private key ssh2 can use; names the file when it does not. */
function checkKey(file: string, data: Buffer): Buffer {
  const parsed = utils.parseKey(data);
  if (parsed instanceof Error || (Array.isArray(parsed) ? parsed.length === 0 : !parsed.isPrivateKey())) {
    const why = parsed instanceof Error ? parsed.message : 'not a private key';
    throw new AppError(
      'invalid_argument',
      `ssh host key ${file}: ${why} (make one with ssh-keygen -t ed25519 -f ${file})`,
    );
  }
  return data;
}

export async function loadOrCreateHostKeys(opts: { dir: string; files?: string[] }): Promise<Buffer[]> {
  if (opts.files && opts.files.length > 0) {
    return Promise.all(
      opts.files.map(async (file) => {
        const data = await readFile(file).catch((e: NodeJS.ErrnoException) => {
          throw new AppError(
            'invalid_argument',
            `ssh host key ${file} cannot be read: ${e.code ?? e.message}`,
          );
        });
        return checkKey(file, data);
      }),
    );
  }
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const kinds = [
    { file: 'ssh_host_ed25519_key', make: () => utils.generateKeyPairSync('ed25519') },
    { file: 'ssh_host_rsa_key', make: () => utils.generateKeyPairSync('rsa', { bits: 3072 }) },
  ];
  const keys: Buffer[] = [];
  for (const kind of kinds) {
    const path = join(opts.dir, kind.file);
    if (!existsSync(path)) {
      const pair = kind.make();
      // written aside and renamed: a crash never leaves half a key that would stop the next start
      await writeFile(`${path}.tmp`, pair.private, { mode: 0o600 });
      await writeFile(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
      await rename(`${path}.tmp`, path);
    }
    await chmod(path, 0o600);
    keys.push(checkKey(path, await readFile(path)));
  }
  return keys;
}
