// Small filesystem steps of the local-folder storage: durable writes, fsynced folders, tolerant removal.
import { open, readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs every folder from `from` down to `to` (inclusive), so newly created entries survive a crash. */
export async function syncDirs(from: string, to: string): Promise<void> {
  const dirs: string[] = [];
  for (let dir = to; dir.length >= from.length; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === from || dir === dirname(dir)) break;
  }
  for (const dir of dirs) await syncDir(dir);
}

export async function pruneEmptyDirs(from: string, stopAt: string): Promise<void> {
  for (let dir = from; dir !== stopAt && dir.startsWith(stopAt); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch (err) {
      ignoreNotEmpty(err);
      return; // still in use (or already gone): the folders above are not empty either
    }
  }
}

export async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(ignoreMissing)) !== undefined;
}

export async function readdirIfPresent(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: unknown) => ignoreMissing(err) ?? []);
}

export async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch(ignoreMissing);
}

/** For `.catch`: a missing file or folder is the outcome we wanted (or a race we lost harmlessly). */
export function ignoreMissing(err: unknown): undefined {
  if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
  throw err;
}

/** For `rmdir`: a folder that is no longer empty (or gone) belongs to someone else now. */
export function ignoreNotEmpty(err: unknown): undefined {
  const code = errno(err);
  if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return undefined;
  throw err;
}

export const errno = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;

export const isSystemError = (err: unknown): err is NodeJS.ErrnoException =>
  err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
