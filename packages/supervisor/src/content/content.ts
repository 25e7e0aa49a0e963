// Content initialization of /workspace (git clone, backup restored by the manager, or empty) and its status.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError, type ContentInit, type ContentSource, type ContentStatus } from '@atelier/protocol';
import type { Logger } from '../log.js';
import { type CloneRequest, cloneRepository, redact } from './git.js';

export interface ContentOptions {
  init: ContentInit;
  /** absolute checkout folder on this machine */
  checkout: string;
  /** the workspace root; the checkout must be below it for a clone */
  workspaceRoot: string;
  /** the content-ready marker (CONTENT_READY_FILE in a container) */
  readyFile: string;
  /** HOME for git */
  home: string;
  /** more environment for git (the credential helper) */
  gitEnv?: Record<string, string>;
  logger: Logger;
}

interface Marker {
  source: ContentSource;
  at: string;
}

export class Content {
  private current: ContentStatus = { available: false, source: null, error: null, progress: null };
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();

  constructor(private readonly opts: ContentOptions) {}

  get status(): ContentStatus {
    return { ...this.current };
  }

  /** Initializes the content unless the marker says it already was (a restarted container). */
  async start(): Promise<void> {
    const { init } = this.opts;
    try {
      const marker = await this.readMarker();
      if (marker) {
        this.opts.logger.info({ source: marker.source, since: marker.at }, 'content already initialized');
        this.update({ available: true, source: marker.source, progress: null });
        return;
      }
      switch (init.kind) {
        case 'git':
          await this.clone({
            cloneUrl: init.cloneUrl,
            ref: init.ref,
            dir: this.opts.checkout,
            config: init.gitConfig,
            ...(init.localBranch ? { localBranch: init.localBranch } : {}),
            ...(init.upstreamCloneUrl ? { upstreamCloneUrl: init.upstreamCloneUrl } : {}),
          });
          for (const extra of init.additional ?? []) {
            await this.clone({
              cloneUrl: extra.cloneUrl,
              dir: `${this.opts.workspaceRoot}/${extra.location}`,
            });
          }
          await this.ready('from-other');
          return;
        case 'empty':
          await mkdir(this.opts.checkout, { recursive: true });
          await this.ready('from-other');
          return;
        case 'backup':
          this.opts.logger.info({}, 'waiting for the manager to restore the backup');
          return;
      }
    } catch (e) {
      if (this.abort.signal.aborted) return;
      const message = e instanceof AppError ? e.message : `content initialization failed: ${String(e)}`;
      this.opts.logger.error({ error: message }, 'content initialization failed');
      this.update({ error: message });
    }
  }

  /** The manager has put a backup into the volume (POST content/ready). Idempotent for the same source. */
  async markReady(source: ContentSource): Promise<ContentStatus> {
    const kind = this.opts.init.kind;
    if (this.current.available) {
      if (this.current.source === source) return this.status;
      throw new AppError(
        'conflict',
        `the content is already ready from ${this.current.source}, not ${source}`,
      );
    }
    if (kind !== 'backup') {
      throw new AppError(
        'conflict',
        `this workspace initializes its content itself (${kind}); it takes no content/ready`,
      );
    }
    await this.ready(source);
    return this.status;
  }

  /** Resolves with the status once content is available or failed, or after `timeoutMs`. */
  waitSettled(timeoutMs: number, signal?: AbortSignal): Promise<ContentStatus> {
    const settled = () => this.current.available || this.current.error !== null;
    if (settled()) return Promise.resolve(this.status);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
        signal?.removeEventListener('abort', done);
        resolve(this.status);
      };
      const check = () => settled() && done();
      const timer = setTimeout(done, timeoutMs);
      this.listeners.add(check);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Stops a running clone (shutdown). */
  stop(): void {
    this.abort.abort();
  }

  private async clone(
    what: Pick<CloneRequest, 'cloneUrl' | 'ref' | 'dir' | 'config' | 'localBranch' | 'upstreamCloneUrl'>,
  ): Promise<void> {
    const { workspaceRoot, logger } = this.opts;
    const { cloneUrl, ref, dir: checkout } = what;
    if (
      dirname(checkout) === checkout ||
      !checkout.startsWith(`${workspaceRoot}/`) ||
      checkout.includes('/../')
    ) {
      throw new AppError('invalid_argument', `the checkout location must be a folder below ${workspaceRoot}`);
    }
    // no marker: anything here is a clone interrupted by a restart, so start afresh
    await rm(checkout, { recursive: true, force: true });
    const started = Date.now();
    logger.info({ cloneUrl: redact(cloneUrl), ref: ref ?? null, checkout }, 'cloning');
    this.update({ progress: `cloning ${redact(cloneUrl)}` });
    await cloneRepository({
      ...what,
      home: this.opts.home,
      env: this.opts.gitEnv,
      signal: this.abort.signal,
      onProgress: (line) => this.update({ progress: line }),
    });
    logger.info({ ms: Date.now() - started, checkout }, 'clone done');
  }

  private async ready(source: ContentSource): Promise<void> {
    const marker: Marker = { source, at: new Date().toISOString() };
    const file = this.opts.readyFile;
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(marker)}\n`);
    await rename(tmp, file);
    this.opts.logger.info({ source }, 'content ready');
    this.update({ available: true, source, error: null, progress: null });
  }

  private async readMarker(): Promise<Marker | undefined> {
    let text: string;
    try {
      text = await readFile(this.opts.readyFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as Partial<Marker>;
      if (parsed.source === 'from-backup' || parsed.source === 'from-other') {
        return { source: parsed.source, at: String(parsed.at) };
      }
    } catch {
      // fall through: an unreadable marker still means the content was initialized once
    }
    this.opts.logger.warn(
      { file: this.opts.readyFile },
      'content marker unreadable; treating content as ready',
    );
    return { source: 'from-other', at: 'unknown' };
  }

  private update(patch: Partial<ContentStatus>): void {
    this.current = { ...this.current, ...patch };
    for (const l of [...this.listeners]) l();
  }
}
