// Installs a folder of npm projects once per machine: under a lock, into a temporary sibling, then
// a marker file and an atomic rename; a later or concurrent caller gets the finished folder.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@atelier/protocol';
import type { z } from 'zod';
import { type LockOptions, withLock } from './lock.js';
import { type NpmRun, npmInstall } from './npm.js';

export const MARKER = 'install.json';

/** What a fill step can do inside the temporary folder. */
export interface FillContext {
  /** the temporary folder being filled; renamed to the final folder afterwards */
  root: string;
  logFile: string;
  signal: AbortSignal | undefined;
  progress(line: string): void;
  /** `npm install packages` in `root/<folder>` (created when missing), output streamed */
  npmInstall(
    folder: string,
    packages: string[],
    opts?: Pick<NpmRun, 'pathFirst' | 'env' | 'explain'>,
  ): Promise<void>;
}

export interface InstallOnceOptions<M> {
  /** the parent folder; holds the install, its lock and the logs */
  dir: string;
  /** the install's folder name below `dir` */
  name: string;
  /** parses the marker file; an install whose marker does not parse is not complete */
  marker: z.ZodType<M>;
  /** installs and verifies into ctx.root, then returns the marker's content */
  fill: (ctx: FillContext) => Promise<Omit<M, 'bytes' | 'installMs'>>;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  lock?: Omit<LockOptions, 'signal' | 'onWait'>;
}

export interface Installed<M> {
  root: string;
  marker: M;
  /** true when this call did the install, false when it found one */
  installed: boolean;
}

/** The finished install `dir/name`, or undefined when there is none (or only a broken one). */
export async function readInstalled<M>(
  dir: string,
  name: string,
  schema: z.ZodType<M>,
): Promise<M | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, name, MARKER), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return undefined;
    }
    throw e;
  }
  const parsed = schema.safeParse(safeJson(text));
  return parsed.success ? parsed.data : undefined;
}

/** Returns the complete install at once, else installs it (waiting for a concurrent installer). */
export async function installOnce<M extends { bytes: number; installMs: number }>(
  opts: InstallOnceOptions<M>,
): Promise<Installed<M>> {
  const root = join(opts.dir, opts.name);
  const found = await readInstalled(opts.dir, opts.name, opts.marker);
  if (found) return { root, marker: found, installed: false };
  await mkdir(opts.dir, { recursive: true });
  const progress = opts.onProgress ?? (() => {});
  return withLock(
    join(opts.dir, `${opts.name}.lock`),
    { ...opts.lock, onWait: progress, ...(opts.signal ? { signal: opts.signal } : {}) },
    async () => {
      // Whoever held the lock before us may have finished it.
      const done = await readInstalled(opts.dir, opts.name, opts.marker);
      if (done) return { root, marker: done, installed: false };
      await removeLeftovers(opts.dir, opts.name, progress);
      return { root, marker: await installFresh(opts, root, progress), installed: true };
    },
  );
}

async function installFresh<M extends { bytes: number; installMs: number }>(
  opts: InstallOnceOptions<M>,
  root: string,
  progress: (line: string) => void,
): Promise<M> {
  const started = Date.now();
  const tmp = join(opts.dir, `${opts.name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const logFile = join(opts.dir, `install-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  await writeFile(logFile, `installing ${root} (pid ${process.pid}, temporary folder ${tmp})\n`);
  await mkdir(tmp);
  const ctx: FillContext = {
    root: tmp,
    logFile,
    signal: opts.signal,
    progress,
    async npmInstall(folder, packages, more = {}) {
      const cwd = join(tmp, folder);
      await mkdir(cwd, { recursive: true });
      await npmInstall({
        ...more,
        cwd,
        packages,
        logFile,
        onLine: (line) => progress(`  ${line}`),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    },
  };
  try {
    const filled = await opts.fill(ctx);
    const draft = { ...filled, bytes: await folderBytes(tmp), installMs: Date.now() - started };
    const marker = opts.marker.parse(draft);
    await writeFile(join(tmp, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    await rename(tmp, root);
    return marker;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      // Another installer published first (possible only after a lock takeover): use theirs.
      const theirs = await readInstalled(opts.dir, opts.name, opts.marker);
      if (theirs) return theirs;
    }
    if (e instanceof AppError) throw e;
    if ((e as Error).name === 'AbortError') throw e;
    throw new AppError(
      'internal',
      `installing ${root} failed: ${(e as Error).message}; log: ${logFile}`,
      [],
      {
        cause: e,
      },
    );
  }
}

/** Removes temporary folders of installs that died, and a final folder without a valid marker
 * (which this installer never publishes, so nothing that uses it came from us). */
async function removeLeftovers(dir: string, name: string, progress: (line: string) => void): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry === name || entry.startsWith(`${name}.tmp-`)) {
      progress(`removing the unfinished ${join(dir, entry)}`);
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
}

/** Total size in bytes of the files below `path` (symlinks not followed, hard links once). */
export async function folderBytes(path: string): Promise<number> {
  const seen = new Set<string>();
  const walk = async (p: string): Promise<number> => {
    const st = await lstat(p);
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return 0;
    seen.add(id);
    if (!st.isDirectory()) return st.size;
    let total = st.size;
    const names = await readdir(p);
    for (let i = 0; i < names.length; i += 64) {
      const sizes = await Promise.all(names.slice(i, i + 64).map((n) => walk(join(p, n))));
      for (const s of sizes) total += s;
    }
    return total;
  };
  return walk(path);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Safe: a marker that is not JSON fails the schema parse below, i.e. "not complete".
    return undefined;
  }
}
