// Bucket, key and metadata rules shared by every storage driver (the strictest of S3, GCS and Azure).
import { AppError } from '@atelier/protocol';
import type { ObjectMetadata } from './types.js';

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const MAX_KEY_BYTES = 1024;
const METADATA_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const MAX_METADATA_BYTES = 2048;

/** 3–63 characters of lowercase letters, digits and single hyphens, starting and ending alphanumeric. */
export function checkBucket(bucket: string): void {
  let problem: string | undefined;
  if (bucket.length < 3 || bucket.length > 63) problem = `it is ${bucket.length} characters long, not 3–63`;
  else if (!BUCKET_PATTERN.test(bucket))
    problem =
      'only lowercase letters, digits and hyphens are allowed, and it must start and end with a letter or digit';
  else if (bucket.includes('--')) problem = 'two hyphens in a row are not allowed (Azure refuses them)';
  if (problem) {
    throw new AppError(
      'invalid_argument',
      `invalid bucket name ${JSON.stringify(bucket)}: ${problem}; pick a name like "atelier-user-1234"`,
    );
  }
}

/** At most 1024 UTF-8 bytes, `/`-separated, no leading `/`, no empty, `.` or `..` segment, no NUL or backslash. */
export function checkKey(key: string): void {
  const problem = pathProblem(key, 'key');
  if (problem)
    throw new AppError('invalid_argument', `invalid object key ${JSON.stringify(key)}: ${problem}`);
}

/** Like a key, but may be empty, and its last segment may be partial or empty (`workspaces/`). */
export function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = pathProblem(prefix, 'prefix');
  if (problem)
    throw new AppError('invalid_argument', `invalid key prefix ${JSON.stringify(prefix)}: ${problem}`);
}

function pathProblem(path: string, kind: 'key' | 'prefix'): string | undefined {
  if (path === '') return 'it is empty; give the object a name such as "workspaces/<id>/full.tar.zst"';
  if (Buffer.byteLength(path, 'utf8') > MAX_KEY_BYTES)
    return `it is longer than ${MAX_KEY_BYTES} bytes; shorten it`;
  if (path.includes('\0')) return 'it contains a NUL character; remove it';
  if (path.includes('\\')) return 'it contains a backslash; separate segments with "/"';
  if (path.startsWith('/')) return 'it starts with "/"; drop the leading slash';
  const segments = path.split('/');
  // the last segment of a prefix is a partial name ("full.t") or empty ("workspaces/"), both fine
  const whole = kind === 'prefix' ? segments.slice(0, -1) : segments;
  for (const segment of whole) {
    if (segment === '') return 'it contains an empty segment ("//" or a trailing "/"); remove it';
    if (segment === '.' || segment === '..')
      return `it contains a "${segment}" segment; name the object directly`;
  }
  return undefined;
}

/** Names of letters, digits, `-`, `_`; printable ASCII values; at most 2 KiB in all (the S3 limit). */
export function checkMetadata(metadata: ObjectMetadata): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME_PATTERN.test(name)) {
      throw new AppError(
        'invalid_argument',
        `invalid metadata name ${JSON.stringify(name)}: use letters, digits, "-" and "_" only`,
      );
    }
    if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) {
      throw new AppError(
        'invalid_argument',
        `invalid metadata value for ${JSON.stringify(name)}: use printable ASCII text only`,
      );
    }
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new AppError(
      'invalid_argument',
      `object metadata is ${bytes} bytes, more than the ${MAX_METADATA_BYTES} every storage backend accepts: store less`,
    );
  }
}
