// In Chromium, as a user would: set up the first account with the console's code, sign in, create a
// workspace from a repository URL, watch it start, and use the terminal it opens on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot } from './harness/browser.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';

let git: GitServer;
let atelier: AtelierProcess;
let browser: Browser;

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'greeting', { 'README.md': 'hello from the browser repo\n' });
  atelier = await AtelierProcess.start({ name: 'browser' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
  await git?.close();
});

test('setup, sign in, new workspace, start page, terminal in the checkout', {
  timeout: 300_000,
}, async () => {
  assert.ok(atelier.setupCode, 'the console printed a one-time setup code');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));

  // first start: the dashboard asks for the setup code and creates the admin account
  await page.goto(atelier.url);
  await page.getByLabel('Setup code').fill(atelier.setupCode);
  await page.getByLabel('User name').fill('ada');
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByLabel('Repeat the password').fill('correct horse battery');
  await screenshot(page, 'browser-1-setup');
  await page.getByRole('button', { name: /create|set up/i }).click();
  await page.getByTestId('context-url').waitFor();

  // sign out and in again
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('User name').fill('ada');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('context-url').waitFor();

  // a new workspace from the repository; the start page follows the phases, then opens the terminal
  await page.getByTestId('context-url').fill(`${git.url}/greeting.git`);
  await screenshot(page, 'browser-2-new-workspace');
  await page.getByTestId('create-workspace').click();
  await page.waitForURL(/\/start\//);
  const workspaceId = new URL(page.url()).pathname.split('/').pop() as string;
  const seen = new Set<string>();
  const wsOrigin = `http://${workspaceId}.ws.localhost:${atelier.port}`;
  while (!page.url().startsWith(wsOrigin)) {
    const phase = await page
      .getByTestId('phase')
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    if (phase && !seen.has(phase.trim())) {
      seen.add(phase.trim());
      await screenshot(page, `browser-3-start-page-${phase.trim()}`).catch(() => {
        // the page may navigate to the workspace while the picture is taken; the next one counts
      });
    }
    if ((await page.getByTestId('start-error').count()) > 0)
      assert.fail(`the start failed: ${await page.getByTestId('start-error').textContent()}`);
    await page.waitForTimeout(50);
  }
  assert.ok(seen.size > 0, 'the start page showed the phase');

  await page.waitForFunction(() => 'atelierTerminal' in globalThis, undefined, { timeout: 30_000 });
  await page.locator('.xterm').click();
  await page.keyboard.type('cat README.md; echo hello-$((6*7)) from $(whoami)\n');
  await page.waitForFunction(
    () => {
      const lines: string[] = (
        globalThis as unknown as { atelierTerminal: { readBuffer(): string[] } }
      ).atelierTerminal.readBuffer();
      return lines.includes('hello from the browser repo') && lines.includes('hello-42 from gitpod');
    },
    undefined,
    { timeout: 30_000 },
  );
  await screenshot(page, 'browser-4-terminal');
  assert.deepEqual(problems, [], 'no script errors on the pages');
  console.log(`phases seen on the start page: ${[...seen].join(' → ')}`);

  // the /#<url> entry: the same repository runs already, so it offers that one; "Open it" goes there
  await page.goto(`${atelier.url}/#${git.url}/greeting.git`);
  await page.getByTestId('running-offer').waitFor();
  await screenshot(page, 'browser-5-running-offer');
  await page.getByTestId('open-running').click();
  await page.waitForURL(new RegExp(`/start/${workspaceId}$`));
  // "New workspace" makes a second one on the same repository
  await page.goto(`${atelier.url}/#${git.url}/greeting.git`);
  await page.getByTestId('create-anyway').click();
  await page.waitForURL((url) => url.pathname.startsWith('/start/') && !url.pathname.endsWith(workspaceId));
});
