// Benchmarks of the edge (issue 4), side by side in one run:
// - small HTTP responses (req/s, p50, p99) direct to the "workspace port", through Atelier's proxy,
//   and through nginx (Debian) configured as the same reverse proxy (HTTP/1.1 keep-alive upstream);
// - a 1 GiB download (curl) direct, through the proxy and through nginx (MB/s);
// - WebSocket echo round trip direct and through the proxy (µs, p50 and p99);
// - `ssh ... head -c 1G /dev/zero` through Atelier's SSH gateway and through OpenSSH's sshd, both
//   on loopback (MB/s).
// The upstream, the proxy and nginx each run in a process of their own (nginx with one worker, as
// the proxy is one Node process); the load comes from autocannon in this process.
// Prints a table and writes bench/results/edge.json. Timing never fails anything.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { freePort } from '../e2e/harness/atelier.js';
import { sshBench } from './edge/ssh.js';

const ROOT = resolve(import.meta.dirname, '..');
const WORKSPACE_ID = 'bench-edge-abcdefgh';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 16;
const GIB = 1024 ** 3;
const work = mkdtempSync(join(tmpdir(), 'atelier-bench-edge-'));
const children: ChildProcess[] = [];

/** Starts a TypeScript helper of this folder and resolves to the port it prints. */
function startHelper(file: string, args: string[] = []): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'edge', file), ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

async function startNginx(upstreamPort: number): Promise<number> {
  const port = await freePort();
  const prefix = join(work, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  upstream workspace { server 127.0.0.1:${upstreamPort}; keepalive 16; }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://workspace;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
    }
  }
}
`,
  );
  const child = spawn('/usr/sbin/nginx', ['-p', prefix, '-c', conf], { stdio: 'inherit' });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/small`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return port;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nginx did not answer');
}

interface Load {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

async function load(port: number, host: string): Promise<Load> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/small`,
    headers: { host },
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  return {
    reqPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** Downloads `bytes` with curl (a client that is not the bottleneck) and resolves to MB/s (10^6 bytes/s). */
function download(port: number, host: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      [
        '-sS',
        '-o',
        '/dev/null',
        '-H',
        `host: ${host}`,
        '-w',
        '%{size_download} %{time_total}',
        `http://127.0.0.1:${port}/download?bytes=${bytes}`,
      ],
      (err, stdout) => {
        if (err) return reject(err);
        const [size, seconds] = stdout.trim().split(' ').map(Number) as [number, number];
        if (size !== bytes) return reject(new Error(`got ${size} of ${bytes} bytes`));
        resolve(bytes / 1e6 / seconds);
      },
    );
  });
}

/** Sequential echo round trips of a 32-byte message: p50 and p99 in µs. */
async function echo(port: number, host: string, rounds = 2000): Promise<{ p50Us: number; p99Us: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const times: number[] = [];
  const msg = Buffer.alloc(32, 97);
  for (let i = 0; i < rounds + 100; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      ws.once('message', () => resolve());
      ws.send(msg);
    });
    if (i >= 100) times.push(Number(process.hrtime.bigint() - t0) / 1000); // after a warm-up
  }
  ws.close();
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.floor(q * (times.length - 1))] ?? Number.NaN);
  return { p50Us: at(0.5), p99Us: at(0.99) };
}

try {
  const upstream = await startHelper('upstream.ts');
  const proxy = await startHelper('proxy.ts', [String(upstream)]);
  const nginx = await startNginx(upstream);
  const portHost = `8000-${WORKSPACE_ID}.ws.localhost`;
  const targets = [
    ['direct', upstream],
    ['proxy', proxy],
    ['nginx', nginx],
  ] as const;

  const small: Record<string, Load> = {};
  for (const [name, port] of targets) {
    await load(port, portHost); // warm-up, also of the keep-alive pools
    small[name] = await load(port, portHost);
    console.error(`small responses ${name}: ${JSON.stringify(small[name])}`);
  }
  const downloads: Record<string, number> = {};
  for (const [name, port] of targets) {
    downloads[name] = await download(port, portHost, GIB);
    console.error(`1 GiB download ${name}: ${downloads[name]?.toFixed(0)} MB/s`);
  }
  const echoes: Record<string, { p50Us: number; p99Us: number }> = {};
  for (const [name, port] of targets) {
    echoes[name] = await echo(port, portHost);
    console.error(`WebSocket echo ${name}: ${JSON.stringify(echoes[name])}`);
  }
  const ssh = await sshBench(work, GIB);
  console.error(`ssh cat 1 GiB: ${JSON.stringify(ssh)}`);

  const d = small.direct as Load;
  const p = small.proxy as Load;
  const n = small.nginx as Load;
  const rows = {
    'small: req/s direct / proxy / nginx': `${d.reqPerSec} / ${p.reqPerSec} / ${n.reqPerSec}`,
    'small: p50 ms direct / proxy / nginx': `${d.p50Ms} / ${p.p50Ms} / ${n.p50Ms}`,
    'small: p99 ms direct / proxy / nginx': `${d.p99Ms} / ${p.p99Ms} / ${n.p99Ms}`,
    'small: proxy / direct req/s (target ≥ 0.8)': (p.reqPerSec / d.reqPerSec).toFixed(2),
    'small: nginx / direct req/s': (n.reqPerSec / d.reqPerSec).toFixed(2),
    'small: proxy p99 added ms (target ≤ 1)': (p.p99Ms - d.p99Ms).toFixed(2),
    '1 GiB MB/s direct / proxy / nginx': `${downloads.direct?.toFixed(0)} / ${downloads.proxy?.toFixed(0)} / ${downloads.nginx?.toFixed(0)}`,
    '1 GiB proxy / direct (target ≥ 0.9)': ((downloads.proxy ?? 0) / (downloads.direct ?? 1)).toFixed(2),
    'WS echo p50 µs direct / proxy / nginx': `${echoes.direct?.p50Us} / ${echoes.proxy?.p50Us} / ${echoes.nginx?.p50Us}`,
    'WS echo p99 µs direct / proxy / nginx': `${echoes.direct?.p99Us} / ${echoes.proxy?.p99Us} / ${echoes.nginx?.p99Us}`,
    [`ssh cat 1 GiB MB/s gateway / sshd (${ssh.defaultCipher.gateway} / ${ssh.defaultCipher.sshd})`]: `${ssh.gatewayMBps.toFixed(0)} / ${ssh.sshdMBps.toFixed(0)}`,
    'ssh gateway / sshd (target ≥ 0.8)': (ssh.gatewayMBps / ssh.sshdMBps).toFixed(2),
    'ssh cat 1 GiB MB/s, aes128-gcm: gateway / sshd': `${ssh.gatewayAesGcmMBps.toFixed(0)} / ${ssh.sshdAesGcmMBps.toFixed(0)}`,
  };
  console.table(rows);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/edge.json'),
    `${JSON.stringify(
      {
        when: new Date().toISOString(),
        durationSeconds: DURATION_S,
        connections: CONNECTIONS,
        small,
        downloadMBps: downloads,
        websocketEcho: echoes,
        ssh,
        nginx: spawnSync('/usr/sbin/nginx', ['-v']).stderr.toString().trim(),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  for (const child of children) child.kill();
  rmSync(work, { recursive: true, force: true });
}
