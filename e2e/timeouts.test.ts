// Time-outs with shortened durations (inactivity 30 s, after-close 3 s), on Podman, with the terminal
// page in Chromium as the IDE: an idle workspace stops by itself and its backup exists; one whose
// user types keeps running; closing the tab stops it after the after-close time-out. The start page
// says when each will stop and why.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, waitForPhase } from './harness/http.js';

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null; stoppedReason: string | null } | null;
  lastBackup: { verifiedAt: string | null } | null;
  activity: {
    lastActivityAt: string;
    lastActivitySource: string | null;
    ideClosedAt: string | null;
    stopsAt: string;
    stopsBecause: string;
  } | null;
}

const INACTIVITY_MS = 30_000;

let git: GitServer;
let atelier: AtelierProcess;
let token: string;
let browser: Browser;

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'idle', { 'README.md': 'time-outs\n' });
  atelier = await AtelierProcess.start({
    name: 'timeouts',
    extraConfig: '  timeouts: { inactivity: 30s, afterClose: 3s }',
  });
  token = await atelier.createUser('timeouts-user');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await atelier?.dispose();
  await git?.close();
});

const getWs = (id: string) => api<Ws>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}`);

async function runningWorkspace(): Promise<Ws> {
  const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `${git.url}/idle.git`,
  });
  return waitForPhase<Ws>(atelier.url, token, id, 'running');
}

/** Signs in, opens the start page and the workspace's IDE (the terminal page) from it. */
async function openIde(id: string): Promise<Page> {
  const page = await signedInPage(browser, atelier.url, 'timeouts-user');
  await page.goto(`${atelier.url}/start/${id}`);
  await page.getByTestId('activity-panel').waitFor();
  await page.getByTestId('open-workspace').click();
  await page.waitForURL(new RegExp(`^http://${id}\\.ws\\.localhost`));
  await page.waitForFunction(() => 'atelierTerminal' in globalThis, undefined, { timeout: 30_000 });
  return page;
}

test('an idle workspace stops by itself after the inactivity time-out, with its backup', {
  timeout: 240_000,
}, async () => {
  const ws = await runningWorkspace();
  assert.equal(ws.activity?.stopsBecause, 'inactivity');
  const stopsIn = Date.parse(ws.activity?.stopsAt ?? '') - Date.now();
  assert.ok(stopsIn > 20_000 && stopsIn <= INACTIVITY_MS, `stops in ${stopsIn} ms`);
  const stopped = await waitForPhase<Ws>(atelier.url, token, ws.id, 'stopped', { timeoutMs: 120_000 });
  assert.match(stopped.instance?.stoppedReason ?? '', /no activity for 30s/);
  assert.ok(stopped.lastBackup?.verifiedAt, 'the stop made a verified backup');
});

test('typing in the terminal page keeps a workspace running past the inactivity time-out', {
  timeout: 240_000,
}, async () => {
  const ws = await runningWorkspace();
  const page = await openIde(ws.id);
  await page.locator('.xterm').click();
  const until = Date.now() + INACTIVITY_MS + 20_000;
  while (Date.now() < until) {
    await page.keyboard.type('echo still-here\n');
    await page.waitForTimeout(3_000);
  }
  const alive = await getWs(ws.id);
  assert.equal(alive.instance?.phase, 'running', 'heartbeats kept it running');
  assert.equal(alive.activity?.lastActivitySource, 'terminal');
  assert.ok(Date.now() - Date.parse(alive.activity?.lastActivityAt ?? '') < 15_000, 'recent activity');

  // the start page says why it lives on
  const dashboard = await signedInPage(browser, atelier.url, 'timeouts-user');
  await dashboard.goto(`${atelier.url}/start/${ws.id}`);
  await dashboard.getByTestId('last-activity').filter({ hasText: 'from the terminal page' }).waitFor();
  await screenshot(dashboard, 'timeouts-start-page');
  await dashboard.close();
  await page.close();
  await api(atelier.url, token, 'POST', `/api/v1/workspaces/${ws.id}/stop`);
});

test('closing the IDE tab stops the workspace after the after-close time-out', {
  timeout: 240_000,
}, async () => {
  const ws = await runningWorkspace();
  const page = await openIde(ws.id);
  await page.waitForTimeout(1_000);
  const closedAt = Date.now();
  await page.close();
  let seenClosed = false;
  for (;;) {
    const now = await getWs(ws.id);
    if (now.activity?.ideClosedAt) {
      seenClosed = true;
      assert.equal(now.activity.stopsBecause, 'ide-closed');
    }
    if (now.instance?.phase !== 'running') break;
    assert.ok(Date.now() - closedAt < INACTIVITY_MS, 'stopped before the inactivity time-out would have');
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(seenClosed, 'the API showed that the IDE was closed');
  const stopped = await waitForPhase<Ws>(atelier.url, token, ws.id, 'stopped', { timeoutMs: 120_000 });
  assert.match(stopped.instance?.stoppedReason ?? '', /the IDE was closed 3s ago/);
});
