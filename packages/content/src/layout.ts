// Where workspace content lives in object storage, following Gitpod's layout so operators recognise it.
import { createHash } from 'node:crypto';
import { AppError } from '@atelier/protocol';
import { checkBucket, checkKey } from './storage/names.js';

const USER_BUCKET_PREFIX = 'atelier-user-';
const MAX_BUCKET = 63;

/**
 * The bucket of one user's content: `atelier-user-<ownerId>` (lowercased). An id that is not already
 * bucket-safe (e.g. has "_" or is too long) is cleaned up and gets a short hash of the original
 * appended, so two different ids never share a bucket.
 */
export function userBucket(ownerId: string): string {
  const lowered = ownerId.toLowerCase();
  if (lowered === '')
    throw new AppError('invalid_argument', 'cannot name the bucket of a user without an id');
  const plain = USER_BUCKET_PREFIX + lowered;
  if (plain.length <= MAX_BUCKET && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(lowered)) return plain;
  const hash = createHash('sha256').update(ownerId).digest('hex').slice(0, 12);
  const room = MAX_BUCKET - USER_BUCKET_PREFIX.length - hash.length - 1;
  const cleaned = lowered
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  const bucket = `${USER_BUCKET_PREFIX}${cleaned ? `${cleaned}-` : ''}${hash}`;
  checkBucket(bucket);
  return bucket;
}

/** The key of a workspace's full backup: `workspaces/<workspaceId>/full.tar.zst`. */
export function backupKey(workspaceId: string): string {
  if (workspaceId.includes('/') || workspaceId === '') {
    throw new AppError(
      'invalid_argument',
      `cannot name the backup of workspace ${JSON.stringify(workspaceId)}: a workspace id has no "/" and is not empty`,
    );
  }
  const key = `workspaces/${workspaceId}/full.tar.zst`;
  checkKey(key);
  return key;
}
