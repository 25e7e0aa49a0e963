// Throughput of storeArchive/openArchive against `tar -c | zstd` and `zstd -d | tar -x` on a given tree.
// Usage: node --import tsx packages/content/src/archive/archive.bench.ts <dir> [runs]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FsObjectStorage } from '../storage/fs.js';
import { openArchive, storeArchive } from './archive.js';

const [dir = '.', runsArg = '3'] = process.argv.slice(2);
const runs = Number(runsArg);
const work = await mkdtemp(join(tmpdir(), 'atelier-bench-'));
const storage = new FsObjectStorage(join(work, 'storage'));
await storage.ensureBucket('bench');
const bytes = Number(execFileSync('sh', ['-c', `tar -c -C '${dir}' . | wc -c`]).toString());
const MB = bytes / 1e6;

async function best(label: string, run: () => Promise<void>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - t);
  }
  console.log(
    `${label.padEnd(34)} ${(fastest / 1000).toFixed(3)} s  ${(MB / (fastest / 1000)).toFixed(0)} MB/s`,
  );
  return fastest;
}
const sh = (script: string) => async () => {
  execFileSync('sh', ['-c', script]);
};
async function restoreWith(key: string, sha256: string): Promise<void> {
  execFileSync('sh', ['-c', `rm -rf '${work}/x' && mkdir '${work}/x'`]);
  const tar = await openArchive({ storage, bucket: 'bench', key, expectedSha256: sha256 });
  const untar = spawn('tar', ['-x', '-C', join(work, 'x')], { stdio: ['pipe', 'inherit', 'inherit'] });
  tar.pipe(untar.stdin);
  await new Promise((resolve, reject) => {
    tar.on('error', reject);
    untar.on('close', (code) => (code === 0 ? resolve(code) : reject(new Error(`tar -x exited ${code}`))));
  });
}

console.log(`tree ${dir}: ${MB.toFixed(1)} MB of tar`);
const stored: Record<number, { sha256: string; size: number }> = {};
for (const level of [1, 3]) {
  const cli = await best(
    `tar -c | zstd -${level} > file`,
    sh(`tar -c -C '${dir}' . | zstd -${level} -T0 -q -c > '${work}/cli.zst'`),
  );
  const ours = await best(`storeArchive level ${level}`, async () => {
    const tar = spawn('tar', ['-c', '-C', dir, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    stored[level] = await storeArchive({
      storage,
      bucket: 'bench',
      key: `l${level}`,
      tar: tar.stdout,
      level,
    });
  });
  console.log(
    `  level ${level}: ${stored[level]?.size} bytes stored, storeArchive at ${(cli / ours).toFixed(2)}x of the CLI`,
  );
}
const cliRestore = await best(
  'zstd -d | tar -x',
  sh(`rm -rf '${work}/x' && mkdir '${work}/x' && zstd -d -q -c < '${work}/cli.zst' | tar -x -C '${work}/x'`),
);
const s1 = stored[1];
if (s1) {
  const ours = await best('openArchive | tar -x', () => restoreWith('l1', s1.sha256));
  console.log(`  openArchive at ${(cliRestore / ours).toFixed(2)}x of the CLI`);
}
await rm(work, { recursive: true, force: true });
