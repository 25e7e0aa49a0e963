// Workspace archives: a tar stream stored zstd-compressed and verified, and read back only if its checksum holds.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError } from '@atelier/protocol';
import type { ObjectMetadata, ObjectStorage, PutResult } from '../storage/types.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

const MiB = 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoreArchiveOptions {
  storage: ObjectStorage;
  bucket: string;
  key: string;
  /** The tar stream to store; it is consumed completely. */
  tar: Readable;
  metadata?: ObjectMetadata;
  /** zstd level, 1 (default, fastest) to 19. */
  level?: number;
}

export interface StoredArchive {
  bucket: string;
  key: string;
  /** Bytes stored (compressed). */
  size: number;
  /** sha256 of the stored bytes, confirmed by reading them back. */
  sha256: string;
  /** Bytes of tar that went in (not hashed: the stored bytes' sha256 is what restore checks). */
  uncompressedSize: number;
  durationMs: number;
  verifiedAt: Date;
}

export interface OpenArchiveOptions {
  storage: ObjectStorage;
  bucket: string;
  key: string;
  /** sha256 recorded when the archive was stored; the stream fails if the stored bytes differ. */
  expectedSha256: string;
}

/**
 * Compresses `tar` into `bucket/key`, then reads the object back and checks its size and sha256.
 * Any failure (tar stream, zstd, storage, verification) rejects and leaves no new object behind.
 */
export async function storeArchive(opts: StoreArchiveOptions): Promise<StoredArchive> {
  const { storage, bucket, key } = opts;
  const started = performance.now();
  const compressor = zstdCompress({ level: opts.level ?? 1 });
  let uncompressedSize = 0;
  const counter = countingTap((n) => {
    uncompressedSize += n;
  });
  const [fed, stored] = await Promise.allSettled([
    pipeline(opts.tar, counter, compressor),
    storage
      .put(bucket, key, compressor, opts.metadata ? { metadata: opts.metadata } : {})
      .catch((err: unknown) => {
        compressor.destroy(); // a put that refused early never read the body; stop the tar feeding it
        throw err;
      }),
  ]);
  if (fed.status === 'rejected' || stored.status === 'rejected') {
    if (stored.status === 'fulfilled') await storage.delete(bucket, key);
    throw storeError(fed, stored, `${bucket}/${key}`);
  }
  const written = stored.value;
  await verifyStored(storage, bucket, key, written);
  return {
    bucket,
    key,
    size: written.size,
    sha256: written.sha256,
    uncompressedSize,
    durationMs: Math.round(performance.now() - started),
    verifiedAt: new Date(),
  };
}

/**
 * The decompressed tar stream of `bucket/key`. The stored bytes are hashed as they stream; if they do
 * not match `expectedSha256` the stream fails (AppError failed_precondition) instead of ending.
 */
export async function openArchive(opts: OpenArchiveOptions): Promise<Readable> {
  const { storage, bucket, key } = opts;
  const expected = opts.expectedSha256.toLowerCase();
  if (!SHA256_HEX.test(expected)) {
    throw new AppError(
      'invalid_argument',
      `expected sha256 ${JSON.stringify(opts.expectedSha256)} of ${bucket}/${key} is not 64 hex digits`,
    );
  }
  let source: Readable;
  try {
    source = await storage.get(bucket, key);
  } catch (err) {
    if (isAppError(err) && err.code === 'not_found') {
      throw new AppError(
        'failed_precondition',
        `the backup ${bucket}/${key} recorded for this workspace cannot be read: it does not exist. The workspace was not started from a fresh clone so that nothing is lost; restore the object or delete the workspace`,
        undefined,
        { cause: err },
      );
    }
    throw err;
  }
  return verifiedDecompression(source, expected, `${bucket}/${key}`);
}

/** A pass-through that reports the length of every chunk. */
function countingTap(count: (bytes: number) => void): Transform {
  return new Transform({
    readableHighWaterMark: MiB,
    writableHighWaterMark: MiB,
    transform(chunk: Buffer, _encoding, done) {
      count(chunk.length);
      done(null, chunk);
    },
  });
}

/** The most telling of the two failures: a storage AppError over the "premature close" it caused upstream. */
function storeError(
  fed: PromiseSettledResult<void>,
  stored: PromiseSettledResult<PutResult>,
  name: string,
): unknown {
  const errors = [stored, fed].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const chosen = errors.find(isAppError) ?? errors.find((e) => !isPrematureClose(e)) ?? errors[0];
  if (isAppError(chosen)) return chosen;
  const message = chosen instanceof Error ? chosen.message : String(chosen);
  return new AppError(
    'internal',
    `storing the archive ${name} failed: ${message}; nothing was stored`,
    undefined,
    {
      cause: chosen,
    },
  );
}

const isPrematureClose = (e: unknown) =>
  typeof e === 'object' && e !== null && 'code' in e && e.code === 'ERR_STREAM_PREMATURE_CLOSE';

/** Reads the object back completely; on any mismatch deletes it and throws. */
async function verifyStored(
  storage: ObjectStorage,
  bucket: string,
  key: string,
  written: PutResult,
): Promise<void> {
  let problem: string | undefined;
  let cause: unknown;
  try {
    const info = await storage.head(bucket, key);
    const read = await hashObject(await storage.get(bucket, key));
    if (!info) problem = 'the object is missing after the upload';
    else if (info.size !== written.size || info.sha256 !== written.sha256)
      problem = `the storage reports ${info.size} bytes with sha256 ${info.sha256}`;
    else if (read.size !== written.size || read.sha256 !== written.sha256)
      problem = `reading it back gave ${read.size} bytes with sha256 ${read.sha256}`;
  } catch (err) {
    cause = err;
    problem = `reading it back failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (problem === undefined) return;
  await storage.delete(bucket, key);
  throw new AppError(
    'internal',
    `backup verification failed for ${bucket}/${key}: wrote ${written.size} bytes with sha256 ${written.sha256}, but ${problem}. The object was deleted and the workspace content kept; check the storage and try again`,
    undefined,
    { cause },
  );
}

async function hashObject(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * source → sha256 → zstd -d → returned stream. The stored bytes are fully hashed before zstd sees the
 * end of its input, and the returned stream ends only after that hash matched: a consumer never sees
 * a clean end of a corrupt archive. If zstd fails midway, the rest is still hashed so the error can
 * say whether the stored bytes are corrupt.
 */
function verifiedDecompression(source: Readable, expected: string, name: string): Readable {
  const hash = createHash('sha256');
  const decompressor = zstdDecompress();
  let verified = false;
  let decompressedAll = false;
  let zstdFailure: Error | undefined;
  const output = new Readable({
    highWaterMark: MiB,
    read() {
      decompressor.resume();
    },
    destroy(err, done) {
      source.destroy();
      decompressor.destroy();
      done(err);
    },
  });
  const fail = (err: Error) => output.destroy(err);

  decompressor.on('data', (chunk: Buffer) => {
    if (!output.push(chunk)) decompressor.pause();
  });
  decompressor.on('end', () => {
    decompressedAll = true;
    if (verified) output.push(null);
  });
  decompressor.on('drain', () => source.resume());
  decompressor.on('error', (err) => {
    if (isAppError(err) && err.code === 'failed_precondition') return fail(err); // zstd missing
    zstdFailure = err;
    if (verified) fail(undecompressable(name, err));
    else source.resume(); // keep hashing to tell a corrupt object from a zstd problem
  });

  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    if (zstdFailure === undefined && !decompressor.write(chunk)) source.pause();
  });
  source.on('error', (err) => {
    fail(
      isAppError(err)
        ? err
        : new AppError(
            'unavailable',
            `reading the backup ${name} failed: ${err.message}; try again`,
            undefined,
            {
              cause: err,
            },
          ),
    );
  });
  source.on('end', () => {
    const actual = hash.digest('hex');
    if (actual !== expected) {
      return fail(
        new AppError(
          'failed_precondition',
          `backup ${name} is corrupt: sha256 of the stored bytes is ${actual}, expected ${expected}. Nothing from it can be trusted; restore the object from another copy or delete the workspace`,
        ),
      );
    }
    verified = true;
    if (zstdFailure) return fail(undecompressable(name, zstdFailure));
    if (decompressedAll) output.push(null);
    else decompressor.end();
  });
  return output;
}

function undecompressable(name: string, err: Error): AppError {
  return new AppError(
    'internal',
    `backup ${name} matches its checksum but cannot be decompressed: ${err.message}`,
    undefined,
    { cause: err },
  );
}
