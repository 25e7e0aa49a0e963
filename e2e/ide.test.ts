// VS Code in the browser on Podman, in Chromium: the start page opens the workbench, the explorer
// shows the repository, the task's terminal is the supervisor's (started once; typing in VS Code
// reaches the same shell), a saved edit lands in /workspace, the Ports view lists the task's port
// and "Open in Browser" loads it. Then gp, run in the workspace over SSH exec, command by command.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request, waitForPhase } from './harness/http.js';
import { openssh, type SshRun } from './harness/openssh.js';

interface Ws {
  id: string;
  url: string;
  instance: { id: string; phase: string; phaseTimes: Record<string, string>; failed: string | null } | null;
}

let git: GitServer;
let atelier: AtelierProcess;
let token: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let ws: Ws;
let ownerToken: string;

/**
 * A small extension as a .vsix (a zip: the manifest and extension/), made with Python's zipfile:
 * activated, it writes /tmp/e2e-hello-activated, so the test sees that VS Code loaded it.
 */
function helloVsix(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-vsix-'));
  const manifest = {
    name: 'hello',
    publisher: 'e2e',
    version: '1.0.0',
    engines: { vscode: '^1.80.0' },
    main: './extension.js',
    activationEvents: ['onStartupFinished'],
  };
  const files = {
    'extension.vsixmanifest': `<?xml version="1.0" encoding="utf-8"?><PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011"><Metadata><Identity Language="en-US" Id="hello" Version="1.0.0" Publisher="e2e" /><DisplayName>hello</DisplayName></Metadata><Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation><Dependencies/><Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" /></Assets></PackageManifest>`,
    'extension/package.json': JSON.stringify(manifest),
    'extension/extension.js':
      "exports.activate = () => require('fs').writeFileSync('/tmp/e2e-hello-activated', 'yes');\n",
  };
  const script = [
    'import json, sys, zipfile',
    'files = json.loads(sys.argv[2])',
    "with zipfile.ZipFile(sys.argv[1], 'w') as z:",
    '    for name, text in files.items(): z.writestr(name, text)',
  ].join('\n');
  const out = join(dir, 'hello.vsix');
  execFileSync('python3', ['-c', script, out, JSON.stringify(files)]);
  const bytes = readFileSync(out);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

before(async () => {
  git = await startGitServer();
  createRepo(git.root, 'ide', {
    'tools/hello.vsix': helloVsix(),
    '.gitpod.yml': [
      'vscode:',
      '  extensions:',
      '    - tools/hello.vsix',
      '    - nobody.unreachable-extension',
      'ports:',
      '  - port: 3000',
      '    name: web',
      '    onOpen: notify',
      'tasks:',
      '  - name: web',
      '    command: echo "started $$" >> /tmp/task-starts; python3 -m http.server 3000',
    ].join('\n'),
    'README.md': '# ide\n\nhello from the ide repo\n',
  });
  atelier = await AtelierProcess.start({ name: 'ide', ide: 'code' });
  token = await atelier.createUser('ide-user');
  browser = await launchBrowser();
});

after(async () => {
  await context?.close();
  await browser?.close();
  await atelier?.dispose();
  await git?.close();
});

type Run = SshRun;

/** Runs a command in the workspace over the SSH gateway (exec, no pty), as the workspace user. */
function exec(command: string): Promise<Run> {
  const args = ['-o', 'PubkeyAuthentication=no', `${ws.id}#${ownerToken}@127.0.0.1`, command];
  return openssh('ssh', args, { port: atelier.sshPort, workDir: tmpdir() });
}

async function gp(args: string, expectCode = 0): Promise<Run> {
  const run = await exec(`gp ${args}`);
  assert.equal(
    run.code,
    expectCode,
    `gp ${args} → ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
  );
  return run;
}

test('VS Code: workbench, explorer, the task terminal, save, Ports view and open', {
  timeout: 420_000,
}, async () => {
  const created = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
    contextUrl: `${git.url}/ide.git`,
  });
  ws = await waitForPhase<Ws>(atelier.url, token, created.id, 'running');
  ownerToken = (
    await api<{ ownerToken: string }>(atelier.url, token, 'GET', `/api/v1/workspaces/${ws.id}/owner-token`)
  ).ownerToken;

  // VS Code draws terminals with WebGL where it can; its DOM renderer puts the text where a test can read it
  const settings = '/workspace/.vscode-remote/data/User/settings.json';
  const dom = await exec(
    `python3 -c 'import json,sys; p=sys.argv[1]; s=json.load(open(p)); s["terminal.integrated.gpuAcceleration"]="off"; json.dump(s, open(p,"w"))' ${settings}`,
  );
  assert.equal(dom.code, 0, dom.stderr);

  page = await signedInPage(browser, atelier.url, 'ide-user', { width: 1800, height: 900 });
  context = page.context();
  await page.goto(`${atelier.url}/start/${ws.id}`);
  await page.getByTestId('activity-panel').waitFor();
  await screenshot(page, 'ide-start-page');
  const openedAt = Date.now();
  await page.getByTestId('open-workspace').click();
  await page.waitForURL(new RegExp(`^http://${ws.id}\\.ws\\.localhost`));
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  const explorer = page.locator('.explorer-folders-view');
  await explorer.getByText('README.md').waitFor({ timeout: 60_000 });
  console.log(`# workbench with the explorer ${Date.now() - openedAt} ms after "open"`);

  // the task's terminal: attached to the supervisor's, not a second run
  // the extension opens it by itself (clicking the Terminal tab before would make VS Code open a shell)
  const terminal = page
    .locator('.xterm')
    .filter({ has: page.locator('.xterm-rows', { hasText: 'Serving HTTP' }) });
  await terminal.first().waitFor({ timeout: 60_000 });
  console.log(`# the task terminal shows the task's output ${Date.now() - openedAt} ms after "open"`);
  await screenshot(page, 'ide-workbench');
  await terminal.first().click();
  // python serves in the foreground: the terminal echoes what is typed (the same pty), nobody runs it
  await page.keyboard.type('typed-in-vscode\r');
  await waitFor(async () => {
    const output = await request(`${atelier.url}/api/v1/workspaces/${ws.id}/tasks/0/output`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return output.body.includes('typed-in-vscode');
  }, 'the text typed into VS Code reaches the task terminal of the supervisor');
  const starts = await exec('wc -l < /tmp/task-starts');
  assert.equal(starts.stdout.trim(), '1', 'the task ran once');

  // the repository's .vsix is installed and runs; the id no gallery serves is named in VS Code
  assert.equal((await exec('cat /tmp/e2e-hello-activated')).stdout, 'yes');
  await page
    .getByText(/could not install 1 extension: nobody\.unreachable-extension/)
    .first()
    .waitFor({ timeout: 30_000 });

  // edit README.md and save: the file in /workspace changes
  await explorer.getByText('README.md').click();
  const editor = page.locator('.monaco-editor .view-lines').first();
  await editor.waitFor();
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('edited in the browser\n');
  await page.keyboard.press('Control+S');
  await waitFor(
    async () => (await exec('cat README.md')).stdout.includes('edited in the browser'),
    'the saved edit is in /workspace',
  );

  // the Ports view lists the task's port; "Open in Browser" loads it in a new tab
  await page.getByRole('tab', { name: /^Atelier Ports/ }).click();
  const row = page.locator('.monaco-list-row').filter({ hasText: '3000' });
  await row.first().waitFor({ timeout: 30_000 });
  await row
    .first()
    .getByText(/served/)
    .waitFor();
  await screenshot(page, 'ide-ports-view');
  await row.first().hover();
  const popup = context.waitForEvent('page', { timeout: 20_000 });
  await row.first().getByRole('button', { name: 'Open in Browser' }).click();
  const confirm = page.getByRole('button', { name: 'Open', exact: true });
  await confirm.click({ timeout: 3_000 }).catch(() => {
    // VS Code asks before opening an outside link only for domains it does not trust yet
  });
  const portPage = await popup;
  await portPage.waitForLoadState();
  assert.match(portPage.url(), new RegExp(`^http://3000-${ws.id}\\.ws\\.localhost:${atelier.port}/`));
  await portPage.getByText('README.md').waitFor({ timeout: 20_000 });
  await screenshot(portPage, 'ide-port-opened');
  await portPage.close();
});

test('gp in the workspace: each command’s output and exit code', { timeout: 300_000 }, async () => {
  assert.ok(ws, 'the workspace of the first test');
  const info = JSON.parse((await gp('info --json')).stdout) as { workspaceId: string; ide: string };
  assert.equal(info.workspaceId, ws.id);
  assert.equal(info.ide, 'code');
  assert.equal((await gp('url 3000')).stdout.trim(), `http://3000-${ws.id}.ws.localhost:${atelier.port}`);
  assert.equal((await gp('url')).stdout.trim(), `http://${ws.id}.ws.localhost:${atelier.port}`);

  const ports = JSON.parse((await gp('ports list --json')).stdout) as { port: number; state: string }[];
  assert.ok(
    ports.some((p) => p.port === 3000 && p.state === 'served'),
    JSON.stringify(ports),
  );
  await gp('ports await 3000');
  assert.match((await gp('ports visibility 3000:public')).stdout, /public/);
  const publicPort = (
    await api<{ ports: { port: number; visibility: string }[] }>(
      atelier.url,
      token,
      'GET',
      `/api/v1/workspaces/${ws.id}/ports`,
    )
  ).ports.find((p) => p.port === 3000);
  assert.equal(publicPort?.visibility, 'public');

  const tasks = JSON.parse((await gp('tasks list --json')).stdout) as { name: string; state: string }[];
  assert.deepEqual(
    tasks.map((t) => [t.name, t.state]),
    [['web', 'running']],
  );

  await gp('env GP_E2E_VAR=from-gp');
  assert.match((await gp('env')).stdout, /^GP_E2E_VAR=from-gp$/m);
  assert.match((await gp('env -e')).stdout, /export GP_E2E_VAR='from-gp'/);
  const stored = await api<{ name: string; repositoryPattern: string }[]>(
    atelier.url,
    token,
    'GET',
    '/api/v1/user/env-vars',
  );
  assert.ok(
    stored.some((v) => v.name === 'GP_E2E_VAR'),
    'the variable is stored for the user',
  );
  await gp('env -u GP_E2E_VAR');
  assert.doesNotMatch((await gp('env')).stdout, /GP_E2E_VAR/);

  assert.match((await gp('timeout show')).stdout, /30m/);
  assert.match((await gp('timeout set 2h')).stdout, /2h/);
  assert.match((await gp('timeout show')).stdout, /2h/);
  const tooLong = await gp('timeout set 48h', 2);
  assert.match(tooLong.stderr, /24h/);
  assert.match((await gp('timeout extend')).stdout, /3h|180m/);

  assert.match((await gp('validate')).stdout, /valid/);
  await gp('sync-done e2e-barrier');
  await gp('sync-await e2e-barrier');
  const open = await gp('open README.md');
  assert.equal(open.stderr, '', 'delivered to the open VS Code window');
  const bad = await gp('no-such-command', 2);
  assert.match(bad.stderr, /no-such-command/);

  // the stop may end this very session before gp's answer is out: the phase says whether it worked
  const stop = await exec('gp stop');
  assert.ok(stop.code === 0 || /stopping/.test(stop.stderr), `gp stop → ${stop.code}: ${stop.stderr}`);
  await waitForPhase(atelier.url, token, ws.id, 'stopped', { timeoutMs: 120_000 });
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.fail(`timed out waiting until ${what}`);
}
