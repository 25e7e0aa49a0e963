// Hand check of the built extension in a real code-server and Chromium, against the fake supervisor;
// screenshots go to test-results/ext-*.png. Not part of the test suite.
// Usage: node --import tsx packages/vscode-extension/scripts/try-in-code-server.ts [--extension=MODE]
//   MODE vsix (default): code-server --install-extension; unpacked: the vsix's extension/ folder copied into
//   --extensions-dir without extensions.json; unpacked-json: the same plus an extensions.json entry;
//   unpacked-other-json: copied beside an extensions.json that does not list it (as after installing others);
//   builtin: the folder in a --builtin-extensions-dir beside code-server's own builtin extensions.
// Env: CODE_SERVER_DIR (…/node_modules/code-server), CODE_SERVER_NODE (a Node ≥ 22 binary), KEEP=1 keeps the temp dir,
// CODE_SERVER_ARGS (more flags, space-separated, e.g. `--link-protection-trusted-domains https://*.ws.atelier.test`).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findIde } from '@atelier/ide';
import { chromium, type Page } from 'playwright-core';
import { FakeSupervisor, fakeInfo, fakePort } from '../src/fake-supervisor.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(packageDir, '../..');
// the install setup.sh makes for the tests (.cache/ide), unless the environment names another
const installed = await findIde(join(repo, '.cache', 'ide'));
const codeServer: string =
  process.env.CODE_SERVER_DIR ?? required(installed && join(installed.codeServerModules, 'code-server'));
const node: string = process.env.CODE_SERVER_NODE ?? required(installed?.nodeBinary);

function required(path: string | undefined): string {
  if (path) return path;
  throw new Error(
    'no code-server in .cache/ide: run scripts/setup.sh test, or set CODE_SERVER_DIR and CODE_SERVER_NODE',
  );
}
const mode = process.argv.find((a) => a.startsWith('--extension='))?.split('=')[1] ?? 'vsix';
const shots = join(repo, 'test-results');
const tmp = mkdtempSync(join(tmpdir(), 'atelier-ext-try-'));
/** flags that placing the extension adds to code-server's command line */
const extraArgs: string[] = [];
const t0 = Date.now();
const say = (message: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}`);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

/** Puts the extension where code-server finds it, the way `mode` says; returns how long that took. */
function placeExtension(extensionsDir: string): number {
  const vsix = join(packageDir, 'dist/atelier.vsix');
  const started = Date.now();
  if (mode === 'vsix') {
    execFileSync(
      node,
      [
        join(codeServer, 'out/node/entry.js'),
        '--install-extension',
        vsix,
        '--extensions-dir',
        extensionsDir,
        '--user-data-dir',
        join(tmp, 'data'),
        '--config',
        join(tmp, 'config.yaml'),
      ],
      { env: { ...process.env, XDG_DATA_HOME: join(tmp, 'xdg') }, stdio: 'pipe' },
    );
    return Date.now() - started;
  }
  const target = join(extensionsDir, 'atelier.atelier-0.1.0');
  const unzipped = join(tmp, 'unzipped');
  execFileSync('unzip', ['-q', vsix, 'extension/*', '-d', unzipped]);
  mkdirSync(extensionsDir, { recursive: true });
  execFileSync('cp', ['-r', join(unzipped, 'extension'), target]);
  if (mode === 'builtin') {
    // a builtin-extensions dir: code-server's own builtin extensions (symlinked) plus this one
    const builtin = join(tmp, 'builtin');
    const shipped = join(codeServer, 'lib/vscode/extensions');
    mkdirSync(builtin);
    for (const name of readdirSync(shipped)) symlinkSync(join(shipped, name), join(builtin, name));
    execFileSync('cp', ['-r', join(unzipped, 'extension'), join(builtin, 'atelier')]);
    rmSync(target, { recursive: true });
    extraArgs.push('--builtin-extensions-dir', builtin);
  }
  if (mode === 'unpacked-other-json') writeFileSync(join(extensionsDir, 'extensions.json'), '[]');
  if (mode === 'unpacked-json') {
    const entry = {
      identifier: { id: 'atelier.atelier' },
      version: '0.1.0',
      location: { $mid: 1, path: target, scheme: 'file' },
      relativeLocation: 'atelier.atelier-0.1.0',
      metadata: { installedTimestamp: Date.now(), pinned: true, source: 'vsix' },
    };
    writeFileSync(join(extensionsDir, 'extensions.json'), JSON.stringify([entry]));
  }
  return Date.now() - started;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `ext-${name}.png`) });
  say(`screenshot test-results/ext-${name}.png`);
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(packageDir, 'build.mjs')], { stdio: 'inherit' });
  mkdirSync(shots, { recursive: true });
  const folder = join(tmp, 'project');
  mkdirSync(folder);
  writeFileSync(join(folder, 'README.md'), '# demo\n\nA folder for the Atelier extension try-out.\n');
  writeFileSync(join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
  const extensionsDir = join(tmp, 'ext');
  const placeMs = placeExtension(extensionsDir);
  say(`extension placed (${mode}) in ${placeMs} ms: ${readdirSync(extensionsDir).join(', ')}`);

  const fake = await FakeSupervisor.start({
    info: fakeInfo({ heartbeatIntervalMs: 5000 }),
    tasks: [
      { index: 0, name: 'install', alias: 'task-install', state: 'running', exitCode: null },
      { index: 1, name: 'dev server', alias: 'task-dev', state: 'running', exitCode: null },
      { index: 2, name: 'tests', alias: null, state: 'pending', exitCode: null },
    ],
    ports: [
      fakePort(3000, { name: 'web', description: 'the dev server' }),
      fakePort(5432, { served: false, name: 'db' }),
      fakePort(8080, { visibility: 'public' }),
    ],
    ideStatus: {
      ide: 'code',
      ready: true,
      error: null,
      extensions: [{ id: 'esbenp.prettier-vscode', installed: false, error: 'not found in Open VSX' }],
    },
  });
  fake
    .terminal('task-install')
    .write('$ npm install\r\n\x1b[32madded 208 packages\x1b[0m in 9s — ✓ done\r\n$ ');
  fake
    .terminal('task-dev')
    .write('$ npm run dev\r\n  VITE ready in 312 ms\r\n  ➜  Local: http://localhost:3000/\r\n');

  const port = await freePort();
  const server: ChildProcess = spawn(
    node,
    [
      join(codeServer, 'out/node/entry.js'),
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir',
      join(tmp, 'data'),
      '--extensions-dir',
      extensionsDir,
      '--config',
      join(tmp, 'config.yaml'),
      ...extraArgs,
      ...(process.env.CODE_SERVER_ARGS?.split(' ').filter(Boolean) ?? []),
      folder,
    ],
    {
      env: { ...process.env, ATELIER_SUPERVISOR_API: fake.url, XDG_DATA_HOME: join(tmp, 'xdg') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let serverLog = '';
  server.stdout?.on('data', (d) => {
    serverLog += String(d);
  });
  server.stderr?.on('data', (d) => {
    serverLog += String(d);
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    await until('code-server to listen', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return res?.ok === true;
    });
    say('code-server answers');
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const opened = Date.now();
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    say(`workbench shown after ${Date.now() - opened} ms`);
    const attachMs = await until('both task terminals to attach', () => {
      const clients = [...fake.terminals.values()].reduce((n, t) => n + t.clients.size, 0);
      return clients >= 2;
    });
    say(
      `task terminals attached ${Date.now() - opened} ms after the page opened (${attachMs} ms after the workbench)`,
    );
    await until('the notification stream', () => fake.notificationListeners > 0);
    await page.waitForTimeout(1500);
    await shot(page, 'terminal');

    // typing goes to the task's terminal; the fake echoes it, and it counts as activity
    await page.locator('.terminal-wrapper.active .xterm, .xterm').first().click();
    await page.keyboard.type('echo héllo\r');
    const typed = () => [...fake.terminals.values()].some((t) => t.inputs.join('').includes('héllo'));
    await until('the typed input', typed, 10_000);
    await page.waitForTimeout(500);
    await shot(page, 'terminal-typed');

    fake.notify({
      kind: 'port',
      port: 3000,
      url: 'https://3000-amber-fox-1234abcd.ws.atelier.test/',
      onOpen: 'notify',
    });
    await page.getByText('Port 3000 is open').first().waitFor({ timeout: 10_000 });
    await shot(page, 'notification');

    // VS Code's own "Ports" tab (code-server's port forwarding) sits beside it
    await page.getByRole('tab', { name: /^Atelier Ports/ }).click();
    const portsView = page
      .locator('[id="workbench.panel.atelier-ports"], .pane')
      .filter({ hasText: '3000 · web' });
    await portsView.first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(500);
    await shot(page, 'ports');
    const row = page.locator('.monaco-list-row').filter({ hasText: '3000 · web' });
    await row.hover();
    const requested: string[] = [];
    context.on('request', (request) => requested.push(request.url()));
    const popup = context.waitForEvent('page', { timeout: 10_000 });
    await row.getByRole('button', { name: 'Open in Browser' }).click();
    await page.waitForTimeout(1000);
    await shot(page, 'open-clicked');
    // VS Code's link protection asks first unless code-server trusts the domain (--link-protection-trusted-domains)
    const confirm = page.getByRole('button', { name: 'Open', exact: true });
    if (await confirm.isVisible()) {
      say('link protection asked before opening the port URL');
      await confirm.click();
    }
    await popup;
    say(`"Open in Browser" opened a tab for ${requested.filter((u) => u.includes('3000-')).join(', ')}`);
    await row.getByRole('button', { name: 'Make Public' }).click();
    await until('port 3000 to be public', () => fake.state.ports[0]?.visibility === 'public', 10_000);
    await page.waitForTimeout(1000);
    await shot(page, 'ports-public');
    await until('a heartbeat', () => fake.heartbeats.length > 0, 15_000);
    say(`heartbeats so far: ${JSON.stringify(fake.heartbeats)}`);

    // a reload: the old extension host goes, the new one attaches again; no terminal shows twice
    const attached = () => [...fake.terminals.values()].reduce((n, t) => n + t.clients.size, 0);
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(3000);
    await until('the terminals to attach again', () => attached() === 2, 60_000);
    await page.waitForTimeout(3000);
    const tabs = await page.locator('.tabs-list .monaco-list-row').allInnerTexts();
    say(`after a reload: ${attached()} terminal connections, terminal tabs ${JSON.stringify(tabs)}`);
    say(`heartbeats so far: ${JSON.stringify(fake.heartbeats)}`);
    await shot(page, 'reloaded');
    await page.getByRole('tab', { name: /^Terminal/ }).click();
    await page.locator('.tabs-list .monaco-list-row').filter({ hasText: 'install' }).first().click();
    fake.exit('task-install', 0);
    await page.waitForTimeout(800);
    await shot(page, 'task-exited');
    await page.waitForTimeout(2500);
    await shot(page, 'task-closed');
    await page.close();
    server.kill('SIGTERM');
    await until('code-server to exit', () => server.exitCode !== null || server.signalCode !== null, 15_000);
    say(`heartbeats after code-server stopped: ${JSON.stringify(fake.heartbeats.slice(-2))}`);
  } catch (e) {
    console.error(serverLog.slice(-4000));
    throw e;
  } finally {
    await browser.close();
    if (server.exitCode === null) server.kill('SIGKILL');
    await fake.close();
    if (process.env.KEEP) say(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
