// The workspace user (from /etc/passwd) that the supervisor becomes, and the switch to it.
import { chown, mkdir, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { AppError } from '@atelier/protocol';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Finds `user` (a name or a numeric uid) in the text of /etc/passwd. */
export function findAccount(passwd: string, user: string): Account | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid, , home, shell] = line.trim().split(':');
    if (!name || line.trim().startsWith('#') || uid === undefined || gid === undefined) continue;
    if (name !== user && uid !== user) continue;
    return { name, uid: Number(uid), gid: Number(gid), home: home || '/', shell: shell || '/bin/sh' };
  }
  if (/^\d+$/.test(user)) {
    // a uid the image does not name (docker run --user 1234): no home, plain shell
    return { name: user, uid: Number(user), gid: Number(user), home: '/', shell: '/bin/sh' };
  }
  return undefined;
}

export function resolveAccount(passwd: string, user: string): Account {
  const account = findAccount(passwd, user);
  if (!account) {
    throw new AppError(
      'failed_precondition',
      `the workspace image has no user '${user}' in /etc/passwd — add it to the image or set its USER`,
    );
  }
  return account;
}

/** The user this process runs as (tests, or a supervisor not started as root). */
export function currentAccount(): Account {
  const u = userInfo();
  return { name: u.username, uid: u.uid, gid: u.gid, home: u.homedir, shell: u.shell ?? '/bin/sh' };
}

/**
 * The current user with a home folder of its own (empty): for tests, whose login shells must not
 * run the machine user's profile (a pyenv rehash there can wait a minute for a stale lock).
 */
export function isolatedAccount(home: string): Account {
  return { ...currentAccount(), home };
}

/**
 * Run as root only: gives the volume root and its .gitpod folder to the user when root owns them,
 * then drops root for good, so the supervisor and every process it starts run as the user.
 */
export async function becomeUser(account: Account, workspaceRoot: string): Promise<void> {
  for (const dir of [workspaceRoot, `${workspaceRoot}/.gitpod`]) {
    await mkdir(dir, { recursive: true });
    const s = await stat(dir);
    if (s.uid === 0 && account.uid !== 0) await chown(dir, account.uid, account.gid);
  }
  if (account.uid === 0) return;
  process.setgroups?.([account.gid]);
  process.setgid?.(account.gid);
  process.setuid?.(account.uid);
}
