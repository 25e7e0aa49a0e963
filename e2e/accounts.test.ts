// In Chromium: a password user links fake-github on the Linked accounts page, sees the login there,
// grants it access to private repositories and unlinks it again; a user who signed up through
// fake-github sees, beside the row, why it cannot unlink its only way to sign in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import type { Browser } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';
import { oauthApp, providerConfig } from './harness/fake-scm.js';

const APP = oauthApp('atelier-e2e');

let gh: FakeScm;
let atelier: AtelierProcess;
let browser: Browser;

before(async () => {
  gh = await startFakeGitHub({
    users: [
      { login: 'octo', id: 7, name: 'Octo Cat', email: 'octo@example.com' },
      { login: 'hubot', id: 8, name: 'Hubot', email: 'hubot@example.com' },
    ],
    apps: [APP],
    repos: [],
  });
  atelier = await AtelierProcess.start({
    name: 'accounts',
    extraConfig: providerConfig(gh, APP),
  });
  // the OAuth app at the fake knows Atelier's callback once Atelier has its port
  APP.registerCallback(atelier.url);
  await atelier.createUser('admin', true);
  await atelier.createUser('ada');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
  await gh?.close();
});

test('a password user links fake-github, grants private repositories and unlinks it', {
  timeout: 180_000,
}, async () => {
  const page = await signedInPage(browser, atelier.url, 'ada');
  await page.getByRole('link', { name: 'Linked accounts' }).click();
  await page.getByRole('heading', { name: 'Linked accounts' }).waitFor();
  const row = page.getByTestId('account-fake-github');
  await row.getByText('Not linked').waitFor();
  await screenshot(page, 'accounts-1-not-linked');

  await row.getByRole('link', { name: 'Link fake-github' }).click();
  await page.getByRole('button', { name: 'Authorize' }).click();
  // back on the page, still ada, with octo linked
  await page.waitForURL(`${atelier.url}/accounts`);
  await row.getByTestId('account-login').waitFor();
  assert.equal(await row.getByTestId('account-login').textContent(), 'octo');
  assert.match((await page.locator('.who').textContent()) ?? '', /Signed in as ada/);
  assert.equal(await row.getByTestId('account-grants').textContent(), 'Sign-in and public repositories');
  assert.equal(await row.getByTestId('account-scopes').textContent(), 'read:user user:email');
  await screenshot(page, 'accounts-2-linked');

  await row.getByRole('link', { name: 'Grant access to private repositories' }).click();
  await page.getByRole('button', { name: 'Authorize' }).click();
  await page.waitForURL(`${atelier.url}/accounts`);
  await row.getByText('Sign-in, public and private repositories').waitFor();
  assert.equal(await row.getByTestId('account-scopes').textContent(), 'read:user user:email repo');
  assert.equal(await row.getByTestId('grant-private-repositories').count(), 0, 'nothing more to grant');
  assert.ok(
    gh.log.some((e) => e.kind === 'authorize' && e.login === 'octo' && e.scopes.includes('repo')),
    'fake-github was asked for repo',
  );
  await screenshot(page, 'accounts-3-private-repositories');

  await row.getByRole('button', { name: 'Unlink fake-github' }).click();
  await row.getByRole('link', { name: 'Link fake-github' }).waitFor();
  assert.equal(await row.getByTestId('account-login').count(), 0);
  await screenshot(page, 'accounts-4-unlinked');
  assert.ok(!(await page.content()).includes('gho_'), 'no token on the page');
  await page.close();
});

test('a user who signed up through fake-github sees why it cannot unlink its only way in', {
  timeout: 120_000,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(`${atelier.url}/accounts`);
    await page.getByTestId('sign-in-fake-github').click();
    await page.getByLabel('Login').selectOption('hubot');
    await page.getByRole('button', { name: 'Authorize' }).click();
    const row = page.getByTestId('account-fake-github');
    await row.getByTestId('account-login').waitFor({ timeout: 30_000 });
    assert.equal(await row.getByTestId('account-login').textContent(), 'hubot');
    await row.getByRole('button', { name: 'Unlink fake-github' }).click();
    const refusal = page.getByTestId('unlink-error');
    await refusal.waitFor();
    assert.match(
      (await refusal.textContent()) ?? '',
      /unlinking fake-github would leave you no way to sign in — you have no password and no other linked account, and no other provider is configured here: keep this account linked/,
    );
    assert.equal(await row.getByTestId('account-login').textContent(), 'hubot', 'still linked');
    await screenshot(page, 'accounts-5-last-way-in');
  } finally {
    await context.close();
  }
});
