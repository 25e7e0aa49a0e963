// Headless Chromium (Debian's) through playwright-core, with screenshots kept in test-results/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './atelier.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
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
