// In Chromium: an administrator adds a sign-in provider in the dashboard (fake-github on loopback),
// registers the callback URL the page shows at the provider, and — without a restart — a visitor
// in a fresh browser sees "Continue with <id>" on the sign-in page and signs in through it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeScm, startFakeGitHub } from '@atelier/fake-scm';
import type { Browser } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';

const APP = {
  clientId: 'corp-e2e',
  clientSecret: 'corp-e2e-secret-0123456789',
  redirectUris: [] as string[],
};

let gh: FakeScm;
let atelier: AtelierProcess;
let browser: Browser;

before(async () => {
  gh = await startFakeGitHub({
    users: [{ login: 'octo', id: 7, name: 'Octo Cat', email: 'octo@example.com' }],
    apps: [APP],
    repos: [],
  });
  atelier = await AtelierProcess.start({ name: 'auth-providers' });
  await atelier.createUser('admin', true);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
  await gh?.close();
});

test('an administrator adds a provider in the dashboard; a visitor signs in with it at once', {
  timeout: 180_000,
}, async () => {
  const page = await signedInPage(browser, atelier.url, 'admin');
  await page.getByRole('link', { name: 'Sign-in providers' }).click();
  await page.getByRole('heading', { name: 'Sign-in providers' }).waitFor();

  // the callback URL to register at the provider, before the provider exists here
  const callbackUrl = await page.getByTestId('callback-url').inputValue();
  assert.equal(callbackUrl, `${atelier.url}/auth/callback`);
  APP.redirectUris.push(callbackUrl);

  await page.getByTestId('provider-id').fill('corp-github');
  await page.getByTestId('provider-type').selectOption('GitHub');
  await page.getByTestId('provider-host').fill(gh.host);
  await page.getByTestId('provider-scheme').selectOption('http');
  await page.getByTestId('provider-client-id').fill(APP.clientId);
  // no secret yet: the API's complaint shows beside the field
  await page.getByTestId('save-provider').click();
  await page.getByText('is required: the client secret of the OAuth application').first().waitFor();
  assert.equal(await page.getByTestId('provider-client-secret').getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'auth-providers-1-field-error');

  await page.getByTestId('provider-client-secret').fill(APP.clientSecret);
  await page.getByTestId('save-provider').click();
  const row = page.getByTestId('provider-corp-github');
  await row.waitFor();
  assert.equal((await row.getByTestId('provider-source').textContent())?.trim(), 'dashboard');
  assert.equal(await row.getByTestId('provider-callback-url').textContent(), callbackUrl);
  assert.ok(!(await page.content()).includes(APP.clientSecret), 'the secret is not on the page');
  await screenshot(page, 'auth-providers-2-added');

  // a visitor in a fresh browser context: the sign-in page offers the new provider
  const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const signIn = await visitor.newPage();
    await signIn.goto(atelier.url);
    const button = signIn.getByTestId('sign-in-corp-github');
    await button.waitFor();
    assert.equal((await button.textContent())?.trim(), 'Continue with corp-github');
    await screenshot(signIn, 'auth-providers-3-sign-in');
    await button.click();
    await signIn.getByRole('button', { name: 'Authorize' }).click();
    await signIn.getByTestId('context-url').waitFor({ timeout: 30_000 });
    await signIn.getByText('Signed in as').waitFor();
    assert.match((await signIn.locator('.who').textContent()) ?? '', /Signed in as octo/);
    await screenshot(signIn, 'auth-providers-4-signed-in');
  } finally {
    await visitor.close();
  }
  assert.ok(
    gh.log.some((e) => e.kind === 'token' && e.login === 'octo' && !e.error),
    'the client id and secret entered in the dashboard were accepted by the provider',
  );

  // the administrator's list counts the account now
  await page.reload();
  await row.waitFor();
  assert.equal((await row.locator('td').nth(4).textContent())?.trim(), '1');
  await page.close();
});
