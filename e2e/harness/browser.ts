// Headless Chromium (Debian's) through playwright-core, with screenshots kept in test-results/.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './atelier.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `extraArgs`: more Chromium switches, e.g. spkiTrustArgs() for an Atelier with its own CA */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', ...extraArgs],
  });
}

/**
 * Chromium switches that make it accept chains through this CA certificate: the base64 SHA-256 of
 * its public key (SPKI), the form `--ignore-certificate-errors-spki-list` takes. Chromium on Linux
 * trusts CAs from an NSS database (what the README tells users to do); this switch needs no
 * certutil and still only accepts a chain that contains this very CA key.
 */
export function spkiTrustArgs(caPem: string): string[] {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return [`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`];
}

/** Saves a full-page screenshot as test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(ROOT, 'test-results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A new page signed in to the dashboard at `baseUrl` as a user made by AtelierProcess.createUser. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  user: string,
  viewport = { width: 1280, height: 900 },
): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(baseUrl);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(`${user}-password-1`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('context-url').waitFor();
  return page;
}
