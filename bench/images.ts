// Benchmarks of image builds (issue 3): a first start that builds the repository's Dockerfile next
// to a second start of the same repository (cached), and the build through Atelier next to
// `podman build` of the same Dockerfile and context, in the same run. Each round changes a file
// that the Dockerfile copies first, so no layer cache helps either side.
// Prints a table and writes bench/results/images.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtelierProcess } from '../e2e/harness/atelier.js';
import { type GitServer, startGitServer } from '../e2e/harness/git-server.js';
import { api, waitForPhase } from '../e2e/harness/http.js';

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null; phaseTimes: Record<string, string> } | null;
}

const ROUNDS = 3;
const DOCKERFILE = [
  'FROM localhost/atelier-workspace:bookworm',
  'USER root',
  'COPY nonce.txt /opt/nonce.txt',
  'COPY tools/ /opt/tools/',
  'RUN for i in $(seq 1 2000); do echo "$i" > /opt/tools/generated-$i; done',
  'RUN python3 -c "import hashlib,pathlib; print(hashlib.sha256(pathlib.Path(\'/opt/nonce.txt\').read_bytes()).hexdigest())" > /opt/digest',
  'ENV TOOLS_HOME=/opt/tools',
  'USER gitpod',
  '',
].join('\n');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const waitPhase = (a: AtelierProcess, token: string, id: string, phase: string) =>
  waitForPhase<Ws>(a.url, token, id, phase, { timeoutMs: 600_000, pollMs: 25 });

/** A working copy with the Dockerfile, 200 small tool files and a nonce; committed into a bare repo. */
function makeRepo(git: GitServer, name: string, nonce: string): string {
  const work = mkdtempSync(join(tmpdir(), 'atelier-bench-img-'));
  mkdirSync(join(work, 'tools'));
  for (let i = 0; i < 200; i++)
    writeFileSync(join(work, 'tools', `tool-${i}.sh`), `#!/bin/sh\necho tool ${i}\n`);
  writeFileSync(join(work, 'nonce.txt'), `${nonce}\n`);
  writeFileSync(join(work, '.gitpod.Dockerfile'), DOCKERFILE);
  writeFileSync(join(work, '.gitpod.yml'), 'image:\n  file: .gitpod.Dockerfile\n');
  const g = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@e', ...args], { cwd: work, stdio: 'pipe' });
  g('init', '-q', '-b', 'main');
  g('add', '-A');
  g('commit', '-q', '-m', 'bench');
  execFileSync('git', ['clone', '-q', '--bare', work, join(git.root, `${name}.git`)]);
  return work;
}

async function startTimed(a: AtelierProcess, token: string, url: string) {
  const t0 = performance.now();
  const { id } = await api<{ id: string }>(a.url, token, 'POST', '/api/v1/workspaces', { contextUrl: url });
  const ws = await waitPhase(a, token, id, 'running');
  const total = performance.now() - t0;
  const times = ws.instance?.phaseTimes ?? {};
  const building =
    times.building && times.pending ? Date.parse(times.pending) - Date.parse(times.building) : 0;
  return { id, totalMs: total, buildingMs: building };
}

async function main(): Promise<void> {
  const git = await startGitServer();
  const a = await AtelierProcess.start({ name: 'bench-images' });
  const token = await a.createUser('bench');
  const rows: { first: number; building: number; second: number; podman: number }[] = [];
  const cleanup: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const nonce = `${Date.now()}-${round}-${Math.random()}`;
      const work = makeRepo(git, `bench-${round}`, nonce);
      cleanup.push(work);
      const url = `${git.url}/bench-${round}.git`;
      const first = await startTimed(a, token, url);
      const second = await startTimed(a, token, url);
      for (const id of [first.id, second.id]) await api(a.url, token, 'DELETE', `/api/v1/workspaces/${id}`);

      // the same Dockerfile and context, with a nonce of its own so that podman's layer cache misses too
      writeFileSync(join(work, 'nonce.txt'), `${nonce}-podman\n`);
      const tag = `localhost/atelier-bench-podman:${round}`;
      const t0 = performance.now();
      execFileSync('podman', ['build', '-q', '-f', '.gitpod.Dockerfile', '-t', tag, '.'], {
        cwd: work,
        stdio: 'pipe',
      });
      const podman = performance.now() - t0;
      execFileSync('podman', ['rmi', '-f', tag], { stdio: 'pipe' });
      rows.push({ first: first.totalMs, building: first.buildingMs, second: second.totalMs, podman });
      console.error(
        `round ${round + 1}: first start ${Math.round(first.totalMs)} ms (building ${Math.round(first.buildingMs)} ms), second start ${Math.round(second.totalMs)} ms, podman build ${Math.round(podman)} ms`,
      );
    }
  } finally {
    await a.dispose();
    await git.close();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  }
  const m = (k: keyof (typeof rows)[number]) => Math.round(median(rows.map((r) => r[k])));
  const results = {
    rounds: ROUNDS,
    firstStartWithBuildMs: m('first'),
    buildingPhaseMs: m('building'),
    secondStartCachedMs: m('second'),
    podmanBuildMs: m('podman'),
    atelierBuildVsPodman: Number((m('building') / m('podman')).toFixed(2)),
    runs: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/images.json', `${JSON.stringify(results, null, 2)}\n`);
  console.table({
    'first start (with build)': { ms: results.firstStartWithBuildMs },
    '  of which phase building': { ms: results.buildingPhaseMs },
    'second start (cached)': { ms: results.secondStartCachedMs },
    'podman build, same Dockerfile': { ms: results.podmanBuildMs },
    'Atelier build / podman build': { ms: results.atelierBuildVsPodman },
  });
}

await main();
