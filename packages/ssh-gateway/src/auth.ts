// Who may open an SSH session to a workspace: its owner, proven by the owner token (in the user name
// `<wsid>#<token>`, or as the password of user `<wsid>`) or by one of the owner's public keys.
// Everything else is the same plain refusal, so a caller learns nothing about which part was wrong.
import { createHash, timingSafeEqual } from 'node:crypto';
import { workspaceIdSchema } from '@atelier/protocol';
import ssh2 from 'ssh2';
import { z } from 'zod';

const { utils } = ssh2;

/** The user name of a connection: a workspace id, with the owner token after `#` if given there. */
export const sshUserSchema = z
  .string()
  .max(600)
  .transform((name, ctx) => {
    const hash = name.indexOf('#');
    const workspaceId = hash === -1 ? name : name.slice(0, hash);
    const token = hash === -1 ? undefined : name.slice(hash + 1);
    if (!workspaceIdSchema.safeParse(workspaceId).success) {
      ctx.addIssue({
        code: 'custom',
        message: 'the user name is a workspace id, with #<owner token> after it if you have no key',
      });
      return z.NEVER;
    }
    if (token !== undefined && !/^[A-Za-z0-9._~-]{8,512}$/.test(token)) {
      ctx.addIssue({ code: 'custom', message: 'the owner token after # is malformed' });
      return z.NEVER;
    }
    return { workspaceId, token };
  });
export type SshUser = z.output<typeof sshUserSchema>;

/** Compares two secrets in constant time (of their digests, so lengths do not show either). */
export function secretsEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The offered key's blob, in the SSH wire format. */
export interface OfferedKey {
  algo: string;
  data: Buffer;
}

/**
 * The owner's key that matches the offered one, parsed (to verify the signature with), or
 * undefined. Lines that do not parse are skipped: the API checked them when they were added.
 */
export function matchingKey(lines: string[], offered: OfferedKey): ssh2.ParsedKey | undefined {
  let found: ssh2.ParsedKey | undefined;
  for (const line of lines) {
    const parsed = utils.parseKey(line);
    if (parsed instanceof Error || Array.isArray(parsed)) continue;
    const blob = parsed.getPublicSSH();
    // no early exit: every key is compared, so timing says nothing about where a match was
    if (blob.length === offered.data.length && timingSafeEqual(blob, offered.data) && !found) found = parsed;
  }
  return found;
}
