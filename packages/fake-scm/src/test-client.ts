// What the fakes' tests do as a client: click through the sign-in form, call the token endpoint, run real git.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GETs the sign-in page, then submits it as a browser would; returns the page and the 302 answer. */
export async function signIn(
  authorizeUrl: string,
  form: Record<string, string>,
): Promise<{ page: string; pageStatus: number; status: number; location: string | null }> {
  const get = await fetch(authorizeUrl);
  const page = await get.text();
  if (get.status !== 200) return { page, pageStatus: get.status, status: get.status, location: null };
  const post = await fetch(authorizeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
    redirect: 'manual',
  });
  return { page, pageStatus: get.status, status: post.status, location: post.headers.get('location') };
}

export async function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

export async function getJson(
  url: string,
  token?: string,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> & Record<number, unknown> }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a raw (non-JSON) answer: tests read it as `body.raw`
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** A git config value for a credential helper that always answers with this user and token. */
export const credentialHelper = (user: string, token: string) =>
  `!f() { echo username=${user}; echo password=${token}; }; f`;

let home: string | undefined;

/** Runs git without any global config or prompt, so a missing credential fails instead of asking. */
export function git(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!home) {
    const dir = mkdtempSync(join(tmpdir(), 'fake-scm-home-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    home = dir;
  }
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Tester',
    GIT_AUTHOR_EMAIL: 'tester@example.com',
    GIT_COMMITTER_NAME: 'Tester',
    GIT_COMMITTER_EMAIL: 'tester@example.com',
  };
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
