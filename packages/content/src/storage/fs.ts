// Object storage in a local folder: atomic, crash-safe writes whose checksum always matches the bytes.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@atelier/protocol';
import {
  errno,
  exists,
  ignoreMissing,
  ignoreNotEmpty,
  isSystemError,
  pruneEmptyDirs,
  readdirIfPresent,
  syncDir,
  syncDirs,
  unlinkIfPresent,
  writeSynced,
} from './fs-files.js';
import { checkBucket, checkKey, checkMetadata, checkPrefix } from './names.js';
import type {
  DeleteBucketOptions,
  GetOptions,
  ListedObject,
  ObjectInfo,
  ObjectMetadata,
  ObjectStorage,
  PutOptions,
  PutResult,
} from './types.js';

/*
 * On-disk layout (one directory per key, so that "a" and "a/b" can both exist):
 *   <root>/<bucket>/objects/<segment>/…/<segment>/@meta.json  the committed version: size, sha256, metadata
 *   <root>/<bucket>/objects/<segment>/…/<segment>/@data.<v>   the bytes of version <v>, exactly as stored
 *   <root>/<bucket>/.tmp/                                    writes in flight; swept when older than an hour
 *   <root>/.deleting-<uuid>/                                  a bucket being deleted
 * A key segment that starts with "@" is stored with one more "@", so keys never collide with the
 * "@meta.json"/"@data.*" names. A put writes the data and the record to .tmp, fsyncs both, renames the
 * data next to the record, and commits by renaming the record over @meta.json: after a crash the
 * record names either the old complete data or the new complete data.
 */
const META = '@meta.json';
const DATA = '@data.';
const TMP = '.tmp';
const OBJECTS = 'objects';
const TRASH = '.deleting-';
const MiB = 1024 * 1024;
const HOUR = 60 * 60 * 1000;
const MAX_SEGMENT_BYTES = 255;

interface Record_ {
  version: string;
  size: number;
  sha256: string;
  metadata: ObjectMetadata;
  lastModified: string;
}

export interface FsObjectStorageOptions {
  /** Clock for lastModified and the age of leftovers; defaults to Date.now. */
  now?: () => number;
  /** Temp files and orphaned data older than this are removed by ensureBucket's sweep (default 1 hour). */
  staleAfterMs?: number;
}

export class FsObjectStorage implements ObjectStorage {
  readonly root: string;
  readonly #now: () => number;
  readonly #staleAfterMs: number;
  readonly #lastSweep = new Map<string, number>();

  constructor(root: string, options: FsObjectStorageOptions = {}) {
    this.root = resolve(root);
    this.#now = options.now ?? Date.now;
    this.#staleAfterMs = options.staleAfterMs ?? HOUR;
  }

  async ensureBucket(bucket: string): Promise<void> {
    checkBucket(bucket);
    const dir = join(this.root, bucket);
    await this.#fs(`creating bucket ${bucket}`, async () => {
      const created = await mkdir(join(dir, OBJECTS), { recursive: true, mode: 0o700 });
      await mkdir(join(dir, TMP), { recursive: true, mode: 0o700 });
      if (created) await syncDirs(dirname(created), dir);
    });
    const last = this.#lastSweep.get(bucket);
    if (last === undefined || this.#now() - last >= this.#staleAfterMs) {
      this.#lastSweep.set(bucket, this.#now());
      await this.sweep(bucket);
    }
  }

  async put(bucket: string, key: string, body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    let keyDir: string;
    const metadata = { ...(opts.metadata ?? {}) };
    try {
      keyDir = this.#keyDir(bucket, key);
      checkMetadata(metadata);
      await this.#requireBucket(bucket, key);
    } catch (err) {
      body.destroy(); // the body is ours to consume; refusing it must not leave its producer hanging
      throw err;
    }
    const version = randomUUID().replaceAll('-', '');
    const dataTmp = join(this.root, bucket, TMP, `${version}.data`);
    const recordTmp = join(this.root, bucket, TMP, `${version}.json`);
    const dataFinal = join(keyDir, DATA + version);
    let placed = false;
    try {
      const { size, sha256 } = await writeStream(dataTmp, body);
      const record: Record_ = {
        version,
        size,
        sha256,
        metadata,
        lastModified: new Date(this.#now()).toISOString(),
      };
      await writeSynced(recordTmp, JSON.stringify(record));
      await this.#placeInKeyDir(keyDir, dataTmp, dataFinal);
      placed = true;
      await syncDir(keyDir);
      const previous = await readRecord(keyDir);
      await rename(recordTmp, join(keyDir, META));
      placed = false;
      await syncDir(keyDir);
      if (previous && previous.version !== version)
        await unlinkIfPresent(join(keyDir, DATA + previous.version));
      return { size, sha256, etag: sha256 };
    } catch (err) {
      await Promise.all([unlinkIfPresent(dataTmp), unlinkIfPresent(recordTmp)]);
      if (placed) await unlinkIfPresent(dataFinal);
      throw this.#writeError(err, bucket, key);
    }
  }

  async get(bucket: string, key: string, opts: GetOptions = {}): Promise<Readable> {
    const keyDir = this.#keyDir(bucket, key);
    // a concurrent put may replace the version between reading the record and opening its data: retry
    for (let attempt = 1; ; attempt++) {
      const record = await this.#readRecord(keyDir, bucket, key);
      if (!record) throw notFound(bucket, key);
      const { start, end } = byteRange(opts, record.size, bucket, key);
      const path = join(keyDir, DATA + record.version);
      try {
        const handle = await open(path, 'r');
        return handle.createReadStream({ start, end, highWaterMark: MiB });
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw this.#readError(err, bucket, key);
        if (attempt >= 5) {
          throw new AppError(
            'internal',
            `object ${bucket}/${key} under ${this.root} is damaged: its record names ${path}, which is missing; delete the object and store it again`,
          );
        }
      }
    }
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const record = await this.#readRecord(this.#keyDir(bucket, key), bucket, key);
    if (!record) return undefined;
    const { size, sha256, metadata, lastModified } = record;
    return { size, sha256, metadata: { ...metadata }, lastModified: new Date(lastModified) };
  }

  async list(bucket: string, prefix: string): Promise<ListedObject[]> {
    checkBucket(bucket);
    checkPrefix(prefix);
    await this.#requireBucket(bucket);
    const segments = prefix.split('/');
    const partial = segments.pop() ?? '';
    const startDir = join(this.root, bucket, OBJECTS, ...segments.map(encodeSegment));
    const found: ListedObject[] = [];
    await this.#fs(`listing ${bucket}/${prefix}`, () =>
      walkObjects(startDir, segments, partial, async (dir, keySegments) => {
        const record = await readRecord(dir);
        const key = keySegments.join('/');
        if (record && key.startsWith(prefix)) {
          found.push({ key, size: record.size, lastModified: new Date(record.lastModified) });
        }
      }),
    );
    return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  async delete(bucket: string, key: string): Promise<void> {
    const keyDir = this.#keyDir(bucket, key);
    const taken = join(this.root, bucket, TMP, `${randomUUID()}.deleted`);
    await this.#fs(`deleting ${bucket}/${key}`, async () => {
      try {
        // taking the record away is the commit point; the data left behind is unreachable from then on
        await rename(join(keyDir, META), taken);
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
        throw err;
      }
      await syncDir(keyDir);
      const record = parseRecord(await readFile(taken, 'utf8'));
      if (record) await unlinkIfPresent(join(keyDir, DATA + record.version));
      await unlinkIfPresent(taken);
      await pruneEmptyDirs(keyDir, join(this.root, bucket, OBJECTS));
    });
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let objects: ListedObject[];
    try {
      objects = await this.list(bucket, prefix);
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') return 0;
      throw err;
    }
    for (const { key } of objects) await this.delete(bucket, key);
    return objects.length;
  }

  async deleteBucket(bucket: string, opts: DeleteBucketOptions = {}): Promise<void> {
    checkBucket(bucket);
    const dir = join(this.root, bucket);
    if (!(await exists(dir))) return;
    if (!opts.force) {
      const left = await this.list(bucket, '');
      if (left.length > 0) {
        throw new AppError(
          'conflict',
          `bucket ${bucket} under ${this.root} still holds ${left.length} object(s) (first: ${left[0]?.key}): delete them first or pass force`,
        );
      }
    }
    const trash = join(this.root, `${TRASH}${randomUUID()}`);
    await this.#fs(`deleting bucket ${bucket}`, async () => {
      // renaming first makes the delete atomic: a crash leaves a trash folder, never half a bucket
      await rename(dir, trash);
      await syncDir(this.root);
      await rm(trash, { recursive: true, force: true });
    });
    this.#lastSweep.delete(bucket);
  }

  /** Removes temp files of crashed writes, orphaned data and empty folders older than staleAfterMs. */
  async sweep(bucket: string): Promise<void> {
    checkBucket(bucket);
    const cutoff = this.#now() - this.#staleAfterMs;
    const mtimeOf = async (path: string) =>
      (await stat(path).catch(ignoreMissing))?.mtimeMs ?? Number.POSITIVE_INFINITY;
    await this.#fs(`cleaning up bucket ${bucket}`, async () => {
      for (const name of await readdirIfPresent(this.root)) {
        if (name.startsWith(TRASH)) await rm(join(this.root, name), { recursive: true, force: true });
      }
      const tmpDir = join(this.root, bucket, TMP);
      for (const name of await readdirIfPresent(tmpDir)) {
        if ((await mtimeOf(join(tmpDir, name))) < cutoff) await unlinkIfPresent(join(tmpDir, name));
      }
      const objectsDir = join(this.root, bucket, OBJECTS);
      await sweepDir(objectsDir, objectsDir, cutoff);
    });
  }

  #keyDir(bucket: string, key: string): string {
    checkBucket(bucket);
    checkKey(key);
    return join(this.root, bucket, OBJECTS, ...key.split('/').map(encodeSegment));
  }

  async #requireBucket(bucket: string, key?: string): Promise<void> {
    if (await exists(join(this.root, bucket, OBJECTS))) return;
    const what = key === undefined ? '' : ` (writing ${key})`;
    throw new AppError(
      'not_found',
      `bucket ${bucket} does not exist under ${this.root}${what}: create it first (ensureBucket)`,
    );
  }

  /** Moves the finished data file into the key's folder; a concurrent delete may prune that folder, so retry. */
  async #placeInKeyDir(keyDir: string, from: string, to: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const created = await mkdir(keyDir, { recursive: true, mode: 0o700 });
      if (created) await syncDirs(dirname(created), dirname(keyDir));
      try {
        await rename(from, to);
        return;
      } catch (err) {
        if (errno(err) !== 'ENOENT' || attempt >= 5 || !(await exists(from))) throw err;
      }
    }
  }

  async #readRecord(keyDir: string, bucket: string, key: string): Promise<Record_ | undefined> {
    try {
      return await readRecord(keyDir);
    } catch (err) {
      throw this.#readError(err, bucket, key);
    }
  }

  async #fs<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      throw this.#fsError(err, what);
    }
  }

  #writeError(err: unknown, bucket: string, key: string): unknown {
    const code = errno(err);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new AppError(
        'resource_exhausted',
        `disk full while writing ${bucket}/${key} under ${this.root}: free some space and try again`,
        undefined,
        { cause: err },
      );
    }
    // an error of the body stream is the caller's own error: hand it back unchanged
    if (!isSystemError(err)) return err;
    return this.#fsError(err, `writing ${bucket}/${key}`);
  }

  #readError(err: unknown, bucket: string, key: string): unknown {
    return this.#fsError(err, `reading ${bucket}/${key}`);
  }

  #fsError(err: unknown, what: string): unknown {
    if (err instanceof AppError || !isSystemError(err)) return err;
    const code = errno(err);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new AppError(
        'resource_exhausted',
        `disk full while ${what} under ${this.root}: free some space`,
        undefined,
        {
          cause: err,
        },
      );
    }
    const fixable = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
    return new AppError(
      fixable ? 'failed_precondition' : 'internal',
      `${what} under ${this.root} failed: ${err.message}${fixable ? '; make the storage folder writable for Atelier' : ''}`,
      undefined,
      { cause: err },
    );
  }
}

function encodeSegment(segment: string): string {
  const name = segment.startsWith('@') ? `@${segment}` : segment;
  if (Buffer.byteLength(name) > MAX_SEGMENT_BYTES) {
    throw new AppError(
      'invalid_argument',
      `key segment ${JSON.stringify(segment.slice(0, 40))}… is longer than the ${MAX_SEGMENT_BYTES} bytes a local folder can name: use shorter segments`,
    );
  }
  return name;
}

/** Folders named by a key segment: no "@" prefix, or an escaped "@@" one. */
const isSegmentDir = (name: string) => !name.startsWith('@') || name.startsWith('@@');
const decodeSegment = (name: string) => (name.startsWith('@@') ? name.slice(1) : name);

async function walkObjects(
  dir: string,
  keySegments: string[],
  partial: string,
  visit: (dir: string, keySegments: string[]) => Promise<void>,
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(
    (err: unknown) => ignoreMissing(err) ?? [],
  );
  if (entries.some((e) => e.name === META)) await visit(dir, keySegments);
  await Promise.all(
    entries
      .filter((e) => e.isDirectory() && isSegmentDir(e.name) && decodeSegment(e.name).startsWith(partial))
      .map((e) => walkObjects(join(dir, e.name), [...keySegments, decodeSegment(e.name)], '', visit)),
  );
}

/** Removes data files no record names and empty folders, both only when older than `cutoff`. */
async function sweepDir(dir: string, objectsDir: string, cutoff: number): Promise<void> {
  // the folder's age before this sweep: removing a crashed child below touches its mtime
  const before = await stat(dir).catch(ignoreMissing);
  const entries = await readdirIfPresent(dir);
  const current = entries.includes(META) ? (await readRecord(dir))?.version : undefined;
  for (const name of entries) {
    const path = join(dir, name);
    const info = await stat(path).catch(ignoreMissing);
    if (!info) continue;
    if (info.isDirectory() && isSegmentDir(name)) await sweepDir(path, objectsDir, cutoff);
    else if (name.startsWith(DATA) && name !== DATA + current && info.mtimeMs < cutoff)
      await unlinkIfPresent(path);
  }
  if (dir !== objectsDir && before && before.mtimeMs < cutoff && (await readdirIfPresent(dir)).length === 0) {
    await rmdir(dir).catch(ignoreNotEmpty);
  }
}

async function writeStream(path: string, body: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    readableHighWaterMark: MiB,
    writableHighWaterMark: MiB,
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  // flush: fsync before close, so the rename that follows never publishes unwritten blocks
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: MiB, flush: true });
  try {
    await pipeline(body, tap, file);
  } catch (err) {
    // the file may still be opening: wait until it is closed, so that the caller's cleanup finds it
    if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
    throw err;
  }
  return { size, sha256: hash.digest('hex') };
}

function parseRecord(text: string): Record_ | undefined {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<Record_>;
  if (typeof r.version !== 'string' || typeof r.size !== 'number' || typeof r.sha256 !== 'string')
    return undefined;
  return {
    version: r.version,
    size: r.size,
    sha256: r.sha256,
    metadata: r.metadata ?? {},
    lastModified: String(r.lastModified),
  };
}

async function readRecord(keyDir: string): Promise<Record_ | undefined> {
  let text: string;
  try {
    text = await readFile(join(keyDir, META), 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
    throw err;
  }
  const record = parseRecord(text);
  if (!record) {
    throw new AppError(
      'internal',
      `${join(keyDir, META)} is not an object record: delete the object and store it again`,
    );
  }
  return record;
}

function byteRange(
  opts: GetOptions,
  size: number,
  bucket: string,
  key: string,
): { start: number; end?: number } {
  if (!opts.range) return { start: 0 };
  const { start, end } = opts.range;
  const lastByte = end === undefined ? size - 1 : Math.min(end, size - 1);
  const valid =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    (end === undefined || (Number.isSafeInteger(end) && end >= start)) &&
    (start < size || (start === 0 && size === 0));
  if (!valid) {
    throw new AppError(
      'invalid_argument',
      `range ${start}-${end ?? ''} does not fit ${bucket}/${key} (${size} bytes): ask for bytes 0–${Math.max(size - 1, 0)}`,
    );
  }
  return size === 0 ? { start: 0 } : { start, end: lastByte };
}

function notFound(bucket: string, key: string): AppError {
  return new AppError('not_found', `object ${bucket}/${key} does not exist: check the bucket and key`);
}
