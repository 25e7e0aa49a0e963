// DockerRuntime against the real engine (Podman's Docker API). The container runs a tiny program
// in place of the supervisor bundle, so these tests exercise the runtime alone.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { WorkspaceSpec } from '../types.js';
import { connectEngine } from './connect.js';
import { DockerRuntime } from './runtime.js';

const IMAGE = 'localhost/atelier-workspace:bookworm';
const logger = pino({ level: 'silent' });

function stubSupervisor(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stub-supervisor-'));
  writeFileSync(
    join(dir, 'supervisor.cjs'),
    `const s = require('net').createServer((c) => c.end('stub-ok')).listen(22999);
     process.on('SIGTERM', () => { s.close(); process.exit(0); });`,
  );
  return dir;
}

describe('DockerRuntime on Podman', { timeout: 60_000 }, () => {
  const installationId = `t${randomUUID().slice(0, 7)}`;
  let runtime: DockerRuntime;
  /** the same runtime that never runs tar on the host: the path for remote engines */
  let viaEngine: DockerRuntime;
  const spec = (): WorkspaceSpec => ({
    instanceId: randomUUID(),
    workspaceId: 'test-runtime-abcdefghijk',
    ownerId: randomUUID(),
    image: IMAGE,
    env: { FOO: 'bar' },
    cpu: 1,
    memoryBytes: 512 * 1024 ** 2,
    readOnlyHostPaths: [],
  });

  before(() => {
    const options = {
      engine: connectEngine(undefined),
      installationId,
      publishAddress: '127.0.0.1',
      network: undefined,
      supervisor: { distDir: stubSupervisor(), nodeBinary: process.execPath },
      logger,
    };
    runtime = new DockerRuntime({ ...options, contentAccess: 'auto' });
    viaEngine = new DockerRuntime({ ...options, contentAccess: 'engine' });
  });

  after(() => {
    const ids = execFileSync('podman', [
      'ps',
      '-aq',
      '--filter',
      `label=io.atelier.installation=${installationId}`,
    ])
      .toString()
      .split('\n')
      .filter(Boolean);
    if (ids.length) execFileSync('podman', ['rm', '-f', ...ids]);
  });

  test('a missing engine gets a message that says how to start one', async () => {
    const broken = new DockerRuntime({
      engine: connectEngine('/nonexistent/docker.sock'),
      installationId,
      publishAddress: '127.0.0.1',
      network: undefined,
      contentAccess: 'auto',
      supervisor: { distDir: '/tmp', nodeBinary: process.execPath },
      logger,
    });
    await assert.rejects(
      broken.ping(),
      /cannot reach the container engine at \/nonexistent\/docker\.sock .*start Docker or Podman/,
    );
  });

  test('images: the default one has user gitpod; a missing one says what to do', async () => {
    assert.deepEqual(await runtime.prepareImage(IMAGE, () => undefined), { user: 'gitpod' });
    await assert.rejects(
      runtime.prepareImage('localhost/atelier-does-not-exist:1', () => undefined),
      (e: Error & { code?: string }) =>
        e.code === 'failed_precondition' && /could not be pulled/.test(e.message),
    );
  });

  test('create is idempotent; the started container publishes the supervisor port on loopback', async () => {
    const s = spec();
    const ref = await runtime.create(s);
    assert.deepEqual(await runtime.create(s), ref);
    assert.deepEqual(await runtime.state(ref), { kind: 'created' });
    await runtime.start(ref);
    const state = await runtime.state(ref);
    assert.equal(state.kind, 'running');
    assert.ok(state.kind === 'running' && state.endpoint);
    const reply = await readAll(state.endpoint.host, state.endpoint.port);
    assert.equal(reply, 'stub-ok');
    assert.ok((await runtime.list()).some((w) => w.instanceId === s.instanceId && w.running));
    await runtime.delete(ref);
    await runtime.delete(ref);
    assert.deepEqual(await runtime.state(ref), { kind: 'absent' });
  });

  const contentCases = [
    { name: 'tar on the host (contentAccess auto, root)', via: () => runtime, startFirst: false },
    { name: 'through the engine API, into a created container', via: () => viaEngine, startFirst: false },
    { name: 'through the engine API, into a running container', via: () => viaEngine, startFirst: true },
    { name: 'auto falls back to the engine while the container runs', via: () => runtime, startFirst: true },
  ];
  for (const c of contentCases) {
    test(`content goes in and comes out with owners, modes and links: ${c.name}`, async () => {
      const rt = c.via();
      const s = spec();
      const ref = await rt.create(s);
      if (c.startFirst) await rt.start(ref);
      const src = mkdtempSync(join(tmpdir(), 'content-'));
      mkdirSync(join(src, 'dir/empty'), { recursive: true });
      writeFileSync(join(src, 'dir/file'), 'data');
      execFileSync('sh', [
        '-c',
        `cd ${src} && ln dir/file dir/hard && ln -s file dir/sym && chown -R 33333:33333 dir && echo r > root-only && chmod 600 root-only && mkdir -p .gitpod && echo x > .gitpod/ready`,
      ]);
      const tar = spawn('tar', ['--numeric-owner', '-C', src, '-cf', '-', '.']);
      await rt.importContent(ref, tar.stdout);
      if (!c.startFirst) await rt.start(ref);
      await rt.stop(ref, 1000);
      const exported = await rt.exportContent(ref, IMAGE, ['./.gitpod/ready']);
      const out = mkdtempSync(join(tmpdir(), 'exported-'));
      const untar = spawn('tar', ['--numeric-owner', '-xpf', '-', '-C', out]);
      exported.tar.pipe(untar.stdin);
      await Promise.all([exported.done, new Promise((r) => untar.on('close', r))]);
      const listing = execFileSync('sh', [
        '-c',
        `cd ${out} && find . | sort | xargs stat -c '%n %a %u:%g %h %F'`,
      ]).toString();
      assert.match(listing, /\.\/dir\/file 644 33333:33333 2 regular file/);
      assert.match(listing, /\.\/dir\/hard 644 33333:33333 2 regular file/);
      assert.match(listing, /\.\/dir\/sym 777 33333:33333 1 symbolic link/);
      assert.match(listing, /\.\/dir\/empty 755 33333:33333 2 directory/);
      assert.match(listing, /\.\/root-only 600 0:0 1 regular file/);
      assert.doesNotMatch(listing, /\.gitpod\/ready/);
      await rt.delete(ref);
      await assert.rejects(rt.exportContent(ref, IMAGE, []), /volume .* no longer exists/);
    });
  }

  test("a truncated archive fails the restore with tar's message", async () => {
    const ref = await runtime.create(spec());
    const dir = mkdtempSync(join(tmpdir(), 'truncated-'));
    writeFileSync(join(dir, 'file'), 'x'.repeat(5000));
    const whole = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
    await assert.rejects(
      runtime.importContent(ref, Readable.from([whole.subarray(0, 2000)])),
      /restoring \/workspace failed \(tar exit 2\): .*(Unexpected EOF|short read)/i,
    );
    await runtime.delete(ref);
  });

  test('events report a container that died', async () => {
    const s = spec();
    const ref = await runtime.create(s);
    await runtime.start(ref);
    const abort = new AbortController();
    const seen = (async () => {
      for await (const ev of runtime.events(abort.signal)) if (ev.instanceId === s.instanceId) return ev.kind;
      return undefined;
    })();
    await new Promise((r) => setTimeout(r, 300));
    execFileSync('podman', ['kill', ref.container]);
    assert.equal(await seen, 'died');
    abort.abort();
    await runtime.delete(ref);
  });
});

function readAll(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const attempt = (left: number) => {
      const socket = net.connect({ host, port });
      let data = '';
      socket.on('data', (d) => {
        data += d;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', (e) => (left > 0 ? setTimeout(() => attempt(left - 1), 100) : reject(e)));
    };
    attempt(30);
  });
}
