// Sign-in with fake-github (its documented OAuth endpoints, backed by git http-backend) in Chromium,
// a pull request of a private repository opened from /#<url> (resolved through the fake's REST API:
// the workspace is on the PR's branch), and a commit pushed from the workspace's terminal with the
// user's token (handed to git by gp credential-helper) landing on that branch in the fake.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import type { Browser, Page } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot } from './harness/browser.js';
import { oauthApp, providerConfig } from './harness/fake-scm.js';

const APP = oauthApp('atelier-e2e');

let gh: FakeScm;
let atelier: AtelierProcess;
let browser: Browser;
/** signed in through fake-github by the first test, with access to private repositories */
let page: Page;

before(async () => {
  gh = await startFakeGitHub({
    users: [{ login: 'octo', id: 7, name: 'Octo Cat', email: 'octo@example.com' }],
    apps: [APP],
    repos: [
      {
        owner: 'octo',
        name: 'private-repo',
        private: true,
        branches: {
          main: { 'README.md': 'secret\n' },
          // the pull request's branch brings its own image: built from the private repository
          'feature/greeting': {
            'hello.txt': 'hello\n',
            '.gitpod.yml': 'image:\n  file: .gitpod.Dockerfile\n',
            '.gitpod.Dockerfile':
              'FROM localhost/atelier-workspace:bookworm\nUSER root\nRUN echo built > /opt/private-build\nUSER gitpod\n',
          },
        },
        pulls: [{ number: 3, title: 'Say hello', head: 'feature/greeting', base: 'main', author: 'octo' }],
      },
    ],
  });
  atelier = await AtelierProcess.start({
    name: 'scm',
    extraConfig: providerConfig(gh, APP),
  });
  // the OAuth app at the fake knows Atelier's callback once Atelier has its port
  APP.registerCallback(atelier.url);
  await atelier.createUser('admin', true);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
  await gh?.close();
});

test('sign in with fake-github, open a pull request of its private repository, push to its branch', {
  timeout: 420_000,
}, async () => {
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const context = `${gh.url}/octo/private-repo/pull/3`;
  await page.goto(`${atelier.url}/#${context}`);
  // not signed in: the sign-in page offers the provider
  await page.getByTestId('sign-in-fake-github').waitFor();
  await screenshot(page, 'scm-1-sign-in');
  await page.getByTestId('sign-in-fake-github').click();
  await page.getByRole('button', { name: 'Authorize' }).click();
  // signed in, but without access to private repositories: the pull request cannot be seen, and
  // the page offers to ask fake-github for that access
  await page.getByTestId('grant-access-link').waitFor({ timeout: 30_000 });
  assert.match((await page.getByTestId('create-error').textContent()) ?? '', /grant fake-github access/);
  await screenshot(page, 'scm-2-grant-access');
  await page.getByTestId('grant-access-link').click();
  await page.getByRole('button', { name: 'Authorize' }).waitFor();
  await screenshot(page, 'scm-2-fake-github');
  await page.getByRole('button', { name: 'Authorize' }).click();
  // back at Atelier, signed in: /#<url> creates the workspace; the start page opens its terminal
  await page.waitForURL(/\/start\//, { timeout: 60_000 });
  const workspaceId = new URL(page.url()).pathname.split('/').pop() as string;
  await page.waitForURL(new RegExp(`^http://${workspaceId}\\.ws\\.localhost`), { timeout: 300_000 });
  await page.waitForFunction(() => 'atelierTerminal' in globalThis, undefined, { timeout: 30_000 });
  await page.locator('.xterm').click();
  // the checkout is the pull request's branch, with its file, in the image its Dockerfile made
  await page.keyboard.type(
    'echo on-$(git rev-parse --abbrev-ref HEAD)-$(cat hello.txt)-$(cat /opt/private-build)\n',
  );
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { atelierTerminal: { readBuffer(): string[] } }).atelierTerminal
        .readBuffer()
        .some((l) => l.trim() === 'on-feature/greeting-hello-built'),
    undefined,
    { timeout: 60_000 },
  );
  await page.keyboard.type(
    "git -c user.name=Octo -c user.email=octo@example.com commit -q --allow-empty -m 'from the workspace' && git push -q origin HEAD && echo pushed-$((6*7))\n",
  );
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { atelierTerminal: { readBuffer(): string[] } }).atelierTerminal
        .readBuffer()
        .some((l) => l.includes('pushed-42')),
    undefined,
    { timeout: 60_000 },
  );
  await screenshot(page, 'scm-3-pushed');
  const push = gh.log.find((e) => e.kind === 'push');
  assert.ok(
    push && push.kind === 'push' && push.login === 'octo' && push.ref === 'refs/heads/feature/greeting',
    JSON.stringify(gh.log.filter((e) => e.kind !== 'api')),
  );
  // the pull request was resolved through the REST API with the user's token
  assert.ok(gh.log.some((e) => e.kind === 'api' && e.path.endsWith('/pulls/3') && e.login === 'octo'));
  const subject = execFileSync('git', [
    '--git-dir',
    gh.repoPath('octo', 'private-repo'),
    'log',
    '-1',
    '--format=%s',
    'feature/greeting',
  ])
    .toString()
    .trim();
  assert.equal(subject, 'from the workspace');
  // the token is nowhere in /workspace
  await page.keyboard.type('grep -rl gho_ /workspace ~/.gitconfig 2>/dev/null | wc -l | sed s/^/leaks-/\n');
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { atelierTerminal: { readBuffer(): string[] } }).atelierTerminal
        .readBuffer()
        .some((l) => l.trim() === 'leaks-0'),
    undefined,
    { timeout: 30_000 },
  );
});

test('a file URL of the private repository opens that file in VS Code, on its branch', {
  timeout: 300_000,
}, async () => {
  await page.goto(atelier.url);
  // the start page opens VS Code for this user from now on
  const saved = await page.evaluate(async () => {
    const res = await fetch('/api/v1/user/preferences', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ide: 'code' }),
    });
    return res.status;
  });
  assert.equal(saved, 200);
  await page.goto(`${atelier.url}/#${gh.url}/octo/private-repo/blob/feature/greeting/hello.txt`);
  await page.waitForURL(/\/start\//, { timeout: 60_000 });
  await page.waitForURL(/\.ws\.localhost/, { timeout: 300_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  // the extension opens the URL's file in an editor, once the workbench is up
  const tab = page.locator('.tabs-container .tab', { hasText: 'hello.txt' });
  await tab.waitFor({ timeout: 60_000 });
  await page.locator('.monaco-editor .view-lines', { hasText: 'hello' }).first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'scm-4-file-in-vscode');
});
