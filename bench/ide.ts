// Benchmarks of the browser IDE (issue 5): the time from "running" (as the API reports it) to a
// rendered VS Code workbench with the repository in its explorer, p50 of 5 starts; the memory of a
// workspace with VS Code open and idle; and the first install of code-server with its Node (a
// fresh folder, as on a new machine), its time and size.
// Prints a table and writes bench/results/ide.json. `--skip-install` leaves the install out.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureIde } from '@atelier/ide';
import { AtelierProcess } from '../e2e/harness/atelier.js';
import { launchBrowser } from '../e2e/harness/browser.js';
import { createRepo, startGitServer } from '../e2e/harness/git-server.js';
import { api, waitForPhase } from '../e2e/harness/http.js';

interface Ws {
  id: string;
  url: string;
  instance: { id: string; phase: string; failed: string | null } | null;
}

const STARTS = 5;
const IDLE_MS = 30_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;

/** Memory the workspace container uses (cgroup), in MiB, as `podman stats` reports it. */
function containerMiB(workspaceId: string): number {
  const id = execFileSync('podman', ['ps', '-q', '--filter', `label=io.atelier.workspace=${workspaceId}`])
    .toString()
    .trim();
  const stats = JSON.parse(
    execFileSync('podman', ['stats', '--no-stream', '--format', 'json', id]).toString(),
  ) as {
    mem_usage: string;
  }[];
  const text = stats[0]?.mem_usage.split('/')[0]?.trim() ?? '';
  const m = /^([\d.]+)\s*([kMG]i?B|B)$/i.exec(text);
  if (!m) throw new Error(`unexpected podman stats memory "${text}"`);
  const unit: Record<string, number> = {
    B: 1 / 2 ** 20,
    kB: 1e3 / 2 ** 20,
    MB: 1e6 / 2 ** 20,
    GB: 1e9 / 2 ** 20,
  };
  return Number(m[1]) * (unit[m[2] as string] ?? 1);
}

async function main(): Promise<void> {
  const skipInstall = process.argv.includes('--skip-install');
  const git = await startGitServer();
  createRepo(git.root, 'bench-ide', {
    '.gitpod.yml': 'tasks:\n  - name: hello\n    command: echo hello\n',
    'README.md': '# bench\n',
  });
  const atelier = await AtelierProcess.start({ name: 'bench-ide', ide: 'code' });
  const browser = await launchBrowser();
  const rendered: number[] = [];
  let idleMiB = Number.NaN;
  try {
    const token = await atelier.createUser('bench');
    for (let i = 0; i < STARTS; i++) {
      const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
        contextUrl: `${git.url}/bench-ide.git`,
      });
      const ws = await waitForPhase<Ws>(atelier.url, token, id, 'running', {
        timeoutMs: 300_000,
        pollMs: 25,
      });
      const running = performance.now();
      const { ownerToken } = await api<{ ownerToken: string }>(
        atelier.url,
        token,
        'GET',
        `/api/v1/workspaces/${id}/owner-token`,
      );
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // what the start page's form does: the owner token for the workspace host's cookie
      await page.context().request.post(`${ws.url}/_atelier/auth`, {
        form: { token: ownerToken, return: ws.url },
        maxRedirects: 0,
      });
      await page.goto(ws.url);
      await page
        .locator('.monaco-workbench .explorer-folders-view')
        .getByText('README.md')
        .waitFor({ timeout: 180_000 });
      rendered.push(performance.now() - running);
      process.stderr.write(
        `start ${i + 1}: workbench ${Math.round(rendered.at(-1) ?? 0)} ms after running\n`,
      );
      if (i === STARTS - 1) {
        await page.waitForTimeout(IDLE_MS);
        idleMiB = containerMiB(id);
      }
      await page.close();
      await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
    }
  } finally {
    await browser.close();
    await atelier.dispose();
    await git.close();
  }

  let install: { seconds: number; megabytes: number } | undefined;
  if (!skipInstall) {
    const dir = mkdtempSync(join(tmpdir(), 'atelier-bench-ide-install-'));
    try {
      const t0 = performance.now();
      const done = await ensureIde({ dir });
      install = { seconds: (performance.now() - t0) / 1000, megabytes: done.bytes / 2 ** 20 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const result = {
    runningToWorkbenchMs: { p50: median(rendered), p90: percentile(rendered, 90), runs: rendered },
    idleWorkspaceWithVsCodeMiB: idleMiB,
    firstInstall: install ?? null,
  };
  console.log('\nIDE benchmarks (this machine)');
  console.log(
    `running → workbench rendered, p50 of ${STARTS}: ${Math.round(result.runningToWorkbenchMs.p50)} ms (runs: ${rendered.map(Math.round).join(', ')})`,
  );
  console.log(`workspace memory with VS Code open, idle ${IDLE_MS / 1000} s: ${idleMiB.toFixed(0)} MiB`);
  if (install)
    console.log(`first IDE install: ${install.seconds.toFixed(0)} s, ${install.megabytes.toFixed(0)} MiB`);
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', 'ide.json'), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
