// Branded identifiers, so a workspace id cannot be passed where an instance id is expected.
import { z } from 'zod';

export type Brand<T, B extends string> = T & { readonly __brand: B };
export type WorkspaceId = Brand<string, 'WorkspaceId'>;
export type InstanceId = Brand<string, 'InstanceId'>;
export type UserId = Brand<string, 'UserId'>;

/**
 * Gitpod's accepted workspace id shapes: `<seg>-<seg>-<8..11 chars>` or a UUID. The first segment
 * starts with a letter, so that a port host `<port>-<id>` can never be read as another id.
 */
export const WORKSPACE_ID_PATTERN =
  /^([a-z][0-9a-z]{1,15}-[0-9a-z]{2,16}-[0-9a-z]{8,11}|[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const workspaceIdSchema = z
  .string()
  .regex(WORKSPACE_ID_PATTERN, 'not a workspace id (expected <owner>-<repo>-<random>)')
  .transform((s) => s as WorkspaceId);
export const instanceIdSchema = z
  .string()
  .regex(UUID_PATTERN, 'not an instance id (expected a UUID)')
  .transform((s) => s as InstanceId);
export const userIdSchema = z
  .string()
  .regex(UUID_PATTERN, 'not a user id (expected a UUID)')
  .transform((s) => s as UserId);

export const isWorkspaceId = (s: string): s is WorkspaceId => WORKSPACE_ID_PATTERN.test(s);

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const COLORS = ['amber', 'azure', 'coral', 'gold', 'indigo', 'jade', 'lime', 'plum', 'ruby', 'teal'];
const ANIMALS = ['badger', 'crane', 'dragon', 'falcon', 'lynx', 'otter', 'panda', 'raven', 'tiger', 'whale'];

function segment(raw: string | undefined, leadingLetter = false): string | undefined {
  let cleaned = (raw ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
  if (leadingLetter) cleaned = cleaned.replace(/^[0-9]+/, '');
  cleaned = cleaned.slice(0, 16);
  return cleaned.length >= 2 ? cleaned : undefined;
}

/**
 * A new workspace id in Gitpod's shape: cleaned repository owner and name, then 11 random
 * characters; random words when the context has no usable names (an owner such as `127` from
 * `http://127.0.0.1/repo.git` would make the id look like a port host, so leading digits go).
 * `randomBytes` is injected so callers choose the source (crypto in Node and browsers).
 */
export function newWorkspaceId(
  owner: string | undefined,
  repo: string | undefined,
  randomBytes: (n: number) => Uint8Array,
): WorkspaceId {
  const bytes = randomBytes(13);
  const pick = <T>(list: readonly T[], b: number): T => list[b % list.length] as T;
  const a = segment(owner, true) ?? pick(COLORS, bytes[11] ?? 0);
  const b = segment(repo) ?? pick(ANIMALS, bytes[12] ?? 0);
  let suffix = '';
  for (let i = 0; i < 11; i++) suffix += ALPHABET[(bytes[i] ?? 0) % ALPHABET.length];
  return `${a}-${b}-${suffix}` as WorkspaceId;
}
