// The image builder against the real engine (Podman's Docker API) and a real registry (Debian's
// docker-registry with basic auth): builds, the content-hash cache, push and pull, features,
// failures and time-outs, one build per repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppError, type ImageHooks, type ImageRequest } from '@atelier/protocol';
import Docker from 'dockerode';
import { pino } from 'pino';
import { EngineImageBuilder, LOCAL_REPOSITORY } from './builder.js';
import { hasRegistry, pushFeature, startTestRegistry, type TestRegistry } from './testing/registry.js';

const BASE = 'localhost/atelier-workspace:bookworm';
const socket = process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/run/podman/podman.sock';
const docker = new Docker({ socketPath: socket });
const logger = pino({ level: 'silent' });
const run = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A repository in a temporary folder with `files` committed; returns its file:// URL and a committer. */
function repository(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-build-repo-'));
  const write = (more: Record<string, string>) => {
    for (const [path, text] of Object.entries(more)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
    }
    run('git', ['add', '-A'], dir);
    run('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'c'], dir);
  };
  run('git', ['init', '-q', '-b', 'main'], dir);
  write(files);
  return { url: `file://${dir}`, dir, write };
}

function recorder(signal = new AbortController().signal) {
  const log: string[] = [];
  let builds = 0;
  const hooks: ImageHooks = {
    log: (t) => void log.push(t),
    building: async () => void builds++,
    signal,
  };
  return { hooks, text: () => log.join(''), builds: () => builds };
}

function request(url: string, over: Partial<ImageRequest> = {}): ImageRequest {
  return {
    workspaceId: 'o-r-build0001',
    instanceId: 'i-1',
    cloneUrl: url,
    image: { kind: 'dockerfile', file: '.gitpod.Dockerfile', context: '.', args: {} },
    features: [],
    ...over,
  };
}

async function runIn(image: string, script: string): Promise<string> {
  const out = run('podman', ['run', '--rm', image, 'bash', '-c', script]);
  return out.trim();
}

const engineUp = existsSync(socket);
const repos: string[] = [];
const images: string[] = [];
after(() => {
  for (const dir of repos) rmSync(dir, { recursive: true, force: true });
  for (const image of images) {
    try {
      run('podman', ['rmi', '-f', image]);
    } catch {
      // already gone
    }
  }
});

const builder = (over: Partial<ConstructorParameters<typeof EngineImageBuilder>[0]> = {}) =>
  new EngineImageBuilder({
    docker,
    defaultImage: BASE,
    registry: { pullCredentials: [] },
    maxConcurrent: 2,
    timeoutMs: 120_000,
    logger,
    ...over,
  });

describe('EngineImageBuilder on Podman', { skip: !engineUp && 'no engine socket', timeout: 300_000 }, () => {
  test('named and default images are used as they are, without a build', async () => {
    const r = recorder();
    const b = builder();
    assert.deepEqual(await b.resolve(request('file:///nowhere', { image: { kind: 'default' } }), r.hooks), {
      ref: BASE,
      built: false,
    });
    assert.deepEqual(
      await b.resolve(
        request('file:///nowhere', { image: { kind: 'ref', ref: 'example.com/a/b:1' } }),
        r.hooks,
      ),
      { ref: 'example.com/a/b:1', built: false },
    );
    assert.equal(r.builds(), 0);
  });

  test('a Dockerfile is built once; nothing changed → cached; a changed context file → built again', async () => {
    const repo = repository({
      '.gitpod.Dockerfile': `FROM ${BASE}\nUSER root\nARG GREETING=hi\nCOPY tools/hello.txt /opt/hello.txt\nRUN echo "$GREETING built" > /opt/built.txt\n`,
      'tools/hello.txt': 'hello from the context\n',
    });
    repos.push(repo.dir);
    const b = builder();
    const req = request(repo.url, {
      image: { kind: 'dockerfile', file: '.gitpod.Dockerfile', context: '.', args: { GREETING: 'howdy' } },
    });
    const first = recorder();
    const built = await b.resolve(req, first.hooks);
    images.push(built.ref);
    assert.equal(built.built, true);
    assert.equal(first.builds(), 1);
    assert.match(built.ref, new RegExp(`^${LOCAL_REPOSITORY}:[0-9a-f]{64}$`));
    assert.match(first.text(), /COPY tools\/hello.txt/, 'the engine build output is in the log');
    assert.equal(
      await runIn(built.ref, 'cat /opt/hello.txt /opt/built.txt'),
      'hello from the context\nhowdy built',
    );

    const second = recorder();
    const cached = await b.resolve(req, second.hooks);
    assert.deepEqual(cached, { ...built, built: false });
    assert.equal(second.builds(), 0);
    assert.match(second.text(), /using the cached image/);
    assert.doesNotMatch(second.text(), /STEP|COPY/, 'no build output the second time');

    const otherArgs = await b.resolve(
      request(repo.url, {
        image: { kind: 'dockerfile', file: '.gitpod.Dockerfile', context: '.', args: {} },
      }),
      recorder().hooks,
    );
    images.push(otherArgs.ref);
    assert.notEqual(otherArgs.ref, built.ref, 'build args are part of the hash');

    repo.write({ 'tools/hello.txt': 'changed\n' });
    const third = recorder();
    const rebuilt = await b.resolve(req, third.hooks);
    images.push(rebuilt.ref);
    assert.equal(rebuilt.built, true);
    assert.notEqual(rebuilt.ref, built.ref);
    assert.equal(await runIn(rebuilt.ref, 'cat /opt/hello.txt'), 'changed');
  });

  test('a failing build fails with the failing step named, and its log is kept', async () => {
    const repo = repository({
      '.gitpod.Dockerfile': `FROM ${BASE}\nRUN echo about to fail && exit 3\n`,
    });
    repos.push(repo.dir);
    const r = recorder();
    await assert.rejects(
      builder().resolve(request(repo.url), r.hooks),
      (e: unknown) =>
        e instanceof AppError && e.code === 'failed_precondition' && /image build failed/.test(e.message),
    );
    assert.match(r.text(), /about to fail/);
  });

  test('a missing Dockerfile or context says which path and commit', async () => {
    const repo = repository({ 'README.md': 'x\n' });
    repos.push(repo.dir);
    await assert.rejects(
      builder().resolve(request(repo.url), recorder().hooks),
      /the Dockerfile \.gitpod\.Dockerfile is not in the repository at commit [0-9a-f]{12}/,
    );
    await assert.rejects(
      builder().resolve(
        request(repo.url, { image: { kind: 'dockerfile', file: 'README.md', context: 'nope', args: {} } }),
        recorder().hooks,
      ),
      /the build context nope is not a folder/,
    );
  });

  test('a build longer than the time-out is stopped and says so', async () => {
    const repo = repository({ '.gitpod.Dockerfile': `FROM ${BASE}\nRUN sleep 60\n` });
    repos.push(repo.dir);
    const started = Date.now();
    await assert.rejects(
      builder({ timeoutMs: 3_000 }).resolve(request(repo.url), recorder().hooks),
      /took longer than 3 s and was stopped/,
    );
    assert.ok(Date.now() - started < 30_000, 'the time-out ends the wait');
  });

  test('two starts of one repository build once; the second finds the first one’s image', async () => {
    const repo = repository({ '.gitpod.Dockerfile': `FROM ${BASE}\nUSER root\nRUN echo once > /opt/once\n` });
    repos.push(repo.dir);
    const b = builder();
    const [a, c] = [recorder(), recorder()];
    const results = await Promise.all([
      b.resolve(request(repo.url), a.hooks),
      b.resolve(request(repo.url), c.hooks),
    ]);
    images.push(results[0].ref);
    assert.equal(a.builds() + c.builds(), 1);
    assert.deepEqual(results.map((x) => x.built).sort(), [false, true]);
    assert.equal(results[0].ref, results[1].ref);
  });

  describe('with a registry (basic auth)', {
    skip: !hasRegistry() && 'docker-registry is not installed',
  }, () => {
    let registry: TestRegistry;
    before(async () => {
      registry = await startTestRegistry();
    });
    after(() => registry?.stop());

    const registryBuilder = () =>
      builder({
        registry: {
          external: {
            url: `${registry.host}/atelier`,
            credentials: { username: registry.username, password: registry.password },
          },
          pullCredentials: [],
        },
      });

    test('a built image is pushed; after the local copy is removed, the next resolve uses the registry’s and it pulls', async () => {
      const repo = repository({
        '.gitpod.Dockerfile': `FROM ${BASE}\nUSER root\nRUN echo pushed > /opt/pushed\n`,
      });
      repos.push(repo.dir);
      const first = recorder();
      const built = await registryBuilder().resolve(request(repo.url), first.hooks);
      images.push(built.ref);
      assert.ok(built.ref.startsWith(`${registry.host}/atelier/workspace-images:`));
      assert.match(first.text(), /pushing/);
      run('podman', ['rmi', '-f', built.ref]);

      const b = registryBuilder();
      const second = recorder();
      const again = await b.resolve(request(repo.url), second.hooks);
      assert.deepEqual(again, { ...built, built: false });
      assert.equal(second.builds(), 0);
      const auth = b.pullAuth(again.ref);
      assert.deepEqual(auth, {
        username: registry.username,
        password: registry.password,
        serveraddress: registry.host,
      });
      const pull = await docker.pull(again.ref, { authconfig: auth });
      await new Promise((resolve, reject) =>
        docker.modem.followProgress(pull, (e) => (e ? reject(e) : resolve(null))),
      );
      assert.equal(await runIn(again.ref, 'cat /opt/pushed'), 'pushed');
    });

    test('wrong registry credentials: the cache check says what to configure', async () => {
      const repo = repository({ '.gitpod.Dockerfile': `FROM ${BASE}\n` });
      repos.push(repo.dir);
      const b = builder({
        registry: {
          external: {
            url: `${registry.host}/atelier`,
            credentials: { username: 'nobody', password: 'wrong' },
          },
          pullCredentials: [],
        },
      });
      await assert.rejects(b.resolve(request(repo.url), recorder().hooks), /refused .* \(HTTP 401\)/);
    });

    test('features: a local one and one from the OCI registry, with options, defaults and containerEnv', async () => {
      const featureDir = mkdtempSync(join(tmpdir(), 'atelier-feature-'));
      repos.push(featureDir);
      writeFileSync(
        join(featureDir, 'devcontainer-feature.json'),
        JSON.stringify({
          id: 'greeter',
          version: '1.0.0',
          options: {
            greeting: { type: 'string', default: 'hello' },
            loud: { type: 'boolean', default: false },
          },
          containerEnv: { GREETER_HOME: '/opt/greeter' },
        }),
      );
      writeFileSync(
        join(featureDir, 'install.sh'),
        '#!/bin/sh\nset -e\nmkdir -p /opt/greeter\necho "$GREETING loud=$LOUD user=$_REMOTE_USER home=$_REMOTE_USER_HOME as $(id -un)" > /opt/greeter/out\n',
        { mode: 0o755 },
      );
      const layer = execFileSync('tar', ['-c', '-C', featureDir, '.']);
      await pushFeature(registry, 'features/greeter', '1', layer);

      const repo = repository({
        '.devcontainer/local-tool/devcontainer-feature.json': JSON.stringify({
          id: 'local-tool',
          options: { flavour: { type: 'string', default: 'plain' } },
        }),
        '.devcontainer/local-tool/install.sh': '#!/bin/sh\necho "local $FLAVOUR" > /opt/local-tool\n',
      });
      repos.push(repo.dir);
      const b = builder({
        registry: {
          pullCredentials: [
            { registry: registry.host, username: registry.username, password: registry.password },
          ],
        },
      });
      const r = recorder();
      const built = await b.resolve(
        request(repo.url, {
          image: { kind: 'default' },
          features: [
            {
              source: { kind: 'oci', ref: `${registry.host}/features/greeter:1` },
              options: { greeting: 'bonjour' },
            },
            { source: { kind: 'local', path: '.devcontainer/local-tool' }, options: { flavour: 'spicy' } },
          ],
        }),
        r.hooks,
      );
      images.push(built.ref);
      assert.equal(built.built, true);
      assert.match(r.text(), /installing 2 feature\(s\)/);
      assert.equal(
        await runIn(built.ref, 'cat /opt/greeter/out /opt/local-tool; echo "$GREETER_HOME"; id -un'),
        'bonjour loud=false user=gitpod home=/home/gitpod as root\nlocal spicy\n/opt/greeter\ngitpod',
      );
      const again = recorder();
      assert.equal(
        (
          await b.resolve(
            request(repo.url, {
              image: { kind: 'default' },
              features: [
                {
                  source: { kind: 'oci', ref: `${registry.host}/features/greeter:1` },
                  options: { greeting: 'bonjour' },
                },
                {
                  source: { kind: 'local', path: '.devcontainer/local-tool' },
                  options: { flavour: 'spicy' },
                },
              ],
            }),
            again.hooks,
          )
        ).built,
        false,
      );

      await assert.rejects(
        b.resolve(
          request(repo.url, {
            image: { kind: 'default' },
            features: [
              { source: { kind: 'local', path: '.devcontainer/local-tool' }, options: { colour: 'red' } },
            ],
          }),
          recorder().hooks,
        ),
        /has no option colour; it has: flavour/,
      );
    });
  });
});
