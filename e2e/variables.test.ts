// The Variables and Access tokens pages in Chromium: a variable is added for a pattern, listed
// without its value, changed and deleted; a token is created and revoked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';
import { api } from './harness/http.js';

const USER = 'vars-user';
let atelier: AtelierProcess;
let token: string;
let browser: Browser;
let page: Page;

before(async () => {
  atelier = await AtelierProcess.start({ name: 'variables' });
  token = await atelier.createUser(USER);
  browser = await launchBrowser();
  page = await signedInPage(browser, atelier.url, USER, { width: 1280, height: 800 });
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
});

interface Var {
  id: string;
  name: string;
  repositoryPattern: string;
}

test('variables: add for a pattern, listed without the value, value changed, deleted', {
  timeout: 120_000,
}, async () => {
  await page.getByRole('link', { name: 'Variables' }).click();
  await page.getByTestId('var-name').fill('NPM_TOKEN');
  await page.getByTestId('var-value').fill('npm-secret-value');
  await page.getByTestId('var-pattern').fill('acme/*');
  await page.getByTestId('save-var').click();
  const list = page.getByTestId('var-list');
  await list.getByText('NPM_TOKEN').waitFor();
  assert.match((await list.textContent()) ?? '', /NPM_TOKEN\s*acme\/\*/);
  assert.doesNotMatch(await page.content(), /npm-secret-value/, 'the value is not on the page');
  await screenshot(page, 'variables-page');

  const stored = await api<Var[]>(atelier.url, token, 'GET', '/api/v1/user/env-vars');
  assert.deepEqual(
    stored.map((v) => [v.name, v.repositoryPattern]),
    [['NPM_TOKEN', 'acme/*']],
  );
  assert.doesNotMatch(JSON.stringify(stored), /npm-secret-value/);

  await page.getByRole('button', { name: 'Change the value of NPM_TOKEN (acme/*)' }).click();
  await page.getByTestId('var-value').fill('rotated');
  await page.getByTestId('save-var').click();
  await page.getByText(/NPM_TOKEN saved for acme\/\*/).waitFor();
  assert.equal((await api<Var[]>(atelier.url, token, 'GET', '/api/v1/user/env-vars')).length, 1);

  await page.getByRole('button', { name: 'Delete NPM_TOKEN (acme/*)' }).click();
  // the list goes with its last variable
  await list.waitFor({ state: 'detached' });
  assert.deepEqual(await api<Var[]>(atelier.url, token, 'GET', '/api/v1/user/env-vars'), []);
});

test('access tokens: created, shown once, revoked', { timeout: 60_000 }, async () => {
  await page.getByRole('link', { name: 'Access tokens' }).click();
  await page.getByLabel('Name').fill('laptop');
  await page.getByRole('button', { name: /create/i }).click();
  await page.getByTestId('token-list').getByText('laptop').waitFor();
  const before = await api<{ name: string }[]>(atelier.url, token, 'GET', '/api/v1/tokens');
  assert.ok(before.some((t) => t.name === 'laptop'));
  await page.getByRole('button', { name: 'Revoke token laptop' }).click();
  await page.getByTestId('token-list').getByText('laptop').waitFor({ state: 'detached' });
  const after = await api<{ name: string }[]>(atelier.url, token, 'GET', '/api/v1/tokens');
  assert.ok(!after.some((t) => t.name === 'laptop'));
});
