// The one-time setup code that lets the first visitor create the admin account; printed by `atelier up`.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Repositories, SecretBox } from '@atelier/db';

const SETTING = 'setup_code';
/** No 0/O, 1/I/L: the code is read off a terminal and typed by hand. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export const SETUP_CODE_HINT =
  'wrong setup code: use the code printed on the console of `atelier up` (it stays the same until the first user is created)';

function newSetupCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < 3; g++) {
    let group = '';
    for (let i = 0; i < 4; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/**
 * The setup code to print while no user exists, undefined once one does. Stored sealed with
 * setIfAbsent, so every replica and every restart agree on one code until it is used.
 */
export async function ensureSetupCode(repos: Repositories, secrets: SecretBox): Promise<string | undefined> {
  if ((await repos.users.count()) > 0) return undefined;
  await repos.settings.setIfAbsent(SETTING, secrets.seal(newSetupCode()));
  const sealed = await repos.settings.get(SETTING);
  return sealed === undefined ? undefined : secrets.open(sealed);
}

const digest = (code: string) =>
  createHash('sha256').update(code.trim().toUpperCase().replace(/\s+/g, '')).digest();

/** Compares a typed code with the stored one in constant time; false when none is stored. */
export async function setupCodeMatches(
  repos: Repositories,
  secrets: SecretBox,
  typed: string,
): Promise<boolean> {
  const sealed = await repos.settings.get(SETTING);
  const stored = sealed === undefined ? newSetupCode() : secrets.open(sealed);
  return timingSafeEqual(digest(stored), digest(typed)) && sealed !== undefined;
}

export async function deleteSetupCode(repos: Repositories): Promise<void> {
  await repos.settings.delete(SETTING);
}
