// The object-storage seam: one interface for the local folder driver and the cloud drivers (S3, GCS, Azure).
import type { Readable } from 'node:stream';

/** User metadata stored with an object (S3 `x-amz-meta-*`, GCS/Azure metadata): short ASCII strings. */
export type ObjectMetadata = Record<string, string>;

export interface PutOptions {
  metadata?: ObjectMetadata;
}

export interface PutResult {
  /** Bytes stored. */
  size: number;
  /** Hex sha256 of the stored bytes, computed while they streamed in. */
  sha256: string;
  /** Opaque version tag of the stored content, as the backend reports it. */
  etag: string;
}

/** A byte range; `end` is inclusive (as in HTTP `Range: bytes=start-end`) and defaults to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface GetOptions {
  range?: ByteRange;
}

export interface ObjectInfo {
  size: number;
  sha256: string;
  metadata: ObjectMetadata;
  lastModified: Date;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface DeleteBucketOptions {
  /** Delete the objects too; without it a bucket that still holds objects is refused. */
  force?: boolean;
}

/**
 * Buckets hold objects under `/`-separated keys. Every driver validates names the same way
 * (see `names.ts`) so that a layout that works on the local folder also works in the cloud.
 */
export interface ObjectStorage {
  /** Creates the bucket if missing; idempotent. */
  ensureBucket(bucket: string): Promise<void>;
  /**
   * Stores `body` under `key`, replacing any previous object atomically: readers see the old object
   * or the complete new one. If `body` fails, nothing is stored and the error is rethrown.
   */
  put(bucket: string, key: string, body: Readable, opts?: PutOptions): Promise<PutResult>;
  /** The object's bytes (or a range of them); AppError `not_found` when it does not exist. */
  get(bucket: string, key: string, opts?: GetOptions): Promise<Readable>;
  /** The object's size, checksum and metadata, or undefined when it does not exist. */
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, sorted by key (UTF-8 byte order). */
  list(bucket: string, prefix: string): Promise<ListedObject[]>;
  /** Deletes the object; deleting a missing object is not an error. */
  delete(bucket: string, key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix`; returns how many were deleted. */
  deletePrefix(bucket: string, prefix: string): Promise<number>;
  /** Deletes the bucket; it must be empty unless `force` is set. A missing bucket is not an error. */
  deleteBucket(bucket: string, opts?: DeleteBucketOptions): Promise<void>;
}
