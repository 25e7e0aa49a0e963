// A lock file shared by processes (and hosts on one file system): created with O_EXCL, refreshed
// while held, taken over when its holder's process is gone or it has not been refreshed for long.
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@atelier/protocol';
import { z } from 'zod';

const holderSchema = z.object({
  pid: z.number().int(),
  hostname: z.string(),
  since: z.string(),
  token: z.string(),
});
export type LockHolder = z.infer<typeof holderSchema>;

export interface LockOptions {
  /** a lock not refreshed for this long is stale, whoever holds it (default 2 minutes) */
  staleMs?: number;
  /** give up waiting after this long (default 30 minutes) */
  waitMs?: number;
  /** how often a waiter looks again (default 250 ms) */
  pollMs?: number;
  /** told once when the lock is busy, and when a stale lock is taken over */
  onWait?: (line: string) => void;
  signal?: AbortSignal;
}

export interface HeldLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Takes the lock at `path`, waiting while another live holder has it. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<HeldLock> {
  const staleMs = opts.staleMs ?? 120_000;
  const waitMs = opts.waitMs ?? 30 * 60_000;
  const pollMs = opts.pollMs ?? 250;
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const started = Date.now();
  let toldWaiting = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    if (await tryCreate(path, me)) return holdLock(path, me, staleMs, opts.onWait);
    const seen = await readHolder(path);
    if (seen === 'gone') continue;
    const staleWhy = await staleReason(path, seen, staleMs);
    if (staleWhy) {
      opts.onWait?.(`taking over the lock ${path}: ${staleWhy}`);
      await removeIfUnchanged(path, seen);
      continue;
    }
    if (!toldWaiting) {
      toldWaiting = true;
      opts.onWait?.(`waiting for another install to finish (${describe(seen)}, lock ${path})…`);
    }
    if (Date.now() - started > waitMs) {
      throw new AppError(
        'unavailable',
        `gave up after ${Math.round(waitMs / 1000)} s waiting for ${describe(seen)} to release ${path} — ` +
          'if no install is running any more, delete that file',
      );
    }
    await sleep(pollMs, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

/** Runs `fn` while holding the lock at `path`. */
export async function withLock<T>(path: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

async function tryCreate(path: string, me: LockHolder): Promise<boolean> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await file.writeFile(`${JSON.stringify(me)}\n`);
  } finally {
    await file.close();
  }
  return true;
}

/** The holder recorded in the lock file; 'gone' when the file vanished; 'unreadable' while a
 * creator has not written it yet (or it is damaged: then its age decides). */
async function readHolder(path: string): Promise<LockHolder | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    return holderSchema.parse(JSON.parse(text));
  } catch {
    // Safe: a file being written or damaged is judged by its age in staleReason.
    return 'unreadable';
  }
}

async function staleReason(
  path: string,
  holder: LockHolder | 'unreadable',
  staleMs: number,
): Promise<string | undefined> {
  if (holder !== 'unreadable' && holder.hostname === hostname() && !processAlive(holder.pid)) {
    return `its holder (pid ${holder.pid}) is gone`;
  }
  let age: number;
  try {
    age = Date.now() - (await stat(path)).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // released meanwhile: retry
    throw e;
  }
  if (age > staleMs) return `not refreshed for ${Math.round(age / 1000)} s`;
  return undefined;
}

/** Deletes a stale lock unless someone replaced it since we read it. Two takers racing can still
 * both proceed (the window is a read and an unlink); callers stay correct regardless, because the
 * lock only saves duplicate work: results are published by an atomic rename. */
async function removeIfUnchanged(path: string, seen: LockHolder | 'unreadable'): Promise<void> {
  const now = await readHolder(path);
  if (now === 'gone') return;
  if (seen === 'unreadable' ? now !== 'unreadable' : now === 'unreadable' || now.token !== seen.token) return;
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function holdLock(path: string, me: LockHolder, staleMs: number, warn?: (line: string) => void): HeldLock {
  let lost = false;
  const refresh = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch((e: unknown) => {
        if (lost) return;
        lost = true;
        warn?.(
          `could not refresh the lock ${path} (${(e as Error).message}); another process may take it over`,
        );
      });
    },
    Math.max(1000, Math.floor(staleMs / 4)),
  );
  refresh.unref();
  return {
    path,
    async release() {
      clearInterval(refresh);
      const holder = await readHolder(path);
      // Only our own lock is removed: a taken-over lock belongs to its new holder.
      if (holder !== 'gone' && holder !== 'unreadable' && holder.token === me.token) await unlink(path);
    },
  };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(holder: LockHolder | 'unreadable'): string {
  if (holder === 'unreadable') return 'a process that is still writing the lock';
  return `pid ${holder.pid} on ${holder.hostname} since ${holder.since}`;
}
