// TLS mode local-ca, end to end: Atelier makes its CA on first start and prints where it is; a
// client that trusts that file (Node, and Chromium through the CA's key) gets the dashboard and a
// workspace port over https, a client that does not is refused; plain http redirects to https; a
// restart keeps the CA users already imported.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { AtelierProcess, freePort } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage, spkiTrustArgs } from './harness/browser.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request } from './harness/http.js';

let git: GitServer;
let atelier: AtelierProcess;
let browser: Browser | undefined;
let token: string;
let httpPort: number;

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'site', {
    '.gitpod.yml': [
      'ports:',
      '  - port: 8000',
      '    visibility: public',
      'tasks:',
      '  - command: python3 -m http.server 8000',
    ].join('\n'),
    'index.html': 'hello over https\n',
  });
  httpPort = await freePort();
  atelier = await AtelierProcess.start({
    name: 'tls',
    extraConfig: `tls: { mode: local-ca, httpPort: ${httpPort} }`,
  });
  token = await atelier.createUser('tls-user');
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
  await git?.close();
});

/** a TLS handshake with no CA but the system's: must fail on Atelier's own CA */
function untrustedGet(url: string): Promise<number | undefined> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port: u.port, servername: u.hostname, path: u.pathname }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .on('error', reject);
  });
}

test('the CA is exported and printed; the dashboard answers over https and http redirects', async () => {
  assert.equal(atelier.scheme, 'https');
  assert.equal(atelier.caCertPath, join(atelier.dataDir, 'tls', 'ca.crt'));
  const health = await request(`${atelier.url}/api/v1/health`);
  assert.equal(health.status, 200);
  await assert.rejects(
    untrustedGet(`${atelier.url}/api/v1/health`),
    /self[- ]signed certificate in certificate chain/,
  );

  const redirect = await request(`http://localhost:${httpPort}/workspaces?tab=1`);
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, `https://localhost:${atelier.port}/workspaces?tab=1`);
});

test('Chromium trusting the exported CA signs in and opens a workspace port over https', {
  timeout: 300_000,
}, async () => {
  const caPem = readFileSync(atelier.caCertPath as string, 'utf8');
  const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `${git.url}/site.git`,
  });
  const portUrl = `https://8000-${id}.ws.localhost:${atelier.port}`;
  let served = false;
  for (let i = 0; i < 600 && !served; i++) {
    const ws = await api<{
      instance: { failed: string | null } | null;
      ports: { port: number; url: string; state: string }[];
    }>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}`);
    if (ws.instance?.failed) throw new Error(ws.instance.failed);
    const port = ws.ports.find((p) => p.port === 8000);
    if (port) assert.equal(port.url, portUrl, 'the API hands out https URLs');
    served = port?.state === 'served';
    if (!served) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(served, 'port 8000 is served');
  const viaNode = await request(`${portUrl}/index.html`);
  assert.equal(viaNode.status, 200);
  assert.match(viaNode.body, /hello over https/);

  // without the CA, Chromium refuses: the switch below is what makes it trust Atelier
  const plain = await launchBrowser();
  try {
    await assert.rejects((await plain.newPage()).goto(atelier.url), /ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await plain.close();
  }
  browser = await launchBrowser(spkiTrustArgs(caPem));
  const page = await signedInPage(browser, atelier.url, 'tls-user');
  assert.ok(page.url().startsWith(`https://localhost:${atelier.port}`));
  const cookies = await page.context().cookies(atelier.url);
  assert.ok(
    cookies.some((c) => c.name === '__Host-atelier_session' && c.secure),
    JSON.stringify(cookies),
  );
  await page.getByText('Loading workspaces…').waitFor({ state: 'detached' });
  await screenshot(page, 'tls-1-dashboard');

  const reply = await page.goto(`${portUrl}/index.html`);
  assert.equal(reply?.status(), 200);
  assert.match(await page.content(), /hello over https/);
  const security = await reply?.securityDetails();
  assert.equal(security?.subjectName, 'localhost');
  assert.equal(security?.issuer, 'Atelier local CA for localhost');
  await screenshot(page, 'tls-2-port');
});

test('a restart keeps the CA users imported', { timeout: 120_000 }, async () => {
  const before = readFileSync(atelier.caCertPath as string, 'utf8');
  await atelier.stop();
  await atelier.launch();
  assert.equal(readFileSync(atelier.caCertPath as string, 'utf8'), before);
  assert.equal((await request(`${atelier.url}/api/v1/health`)).status, 200);
});
