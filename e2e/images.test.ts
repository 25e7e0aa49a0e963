// Workspaces from repositories that build their image, on Podman with a registry that wants basic
// auth: (a) .gitpod.yml with a Dockerfile, three tasks, a public and a private port; (b)
// devcontainer.json with build.dockerfile, a local feature, postCreateCommand and forwardPorts;
// (c) both files. A second start of the same repository does not build, and after the local
// copy of the image is removed it is pulled from the registry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { hasRegistry, startTestRegistry, type TestRegistry } from '@atelier/image-builder';
import type { Browser, Page } from 'playwright-core';
import { AtelierProcess } from './harness/atelier.js';
import { launchBrowser, screenshot, signedInPage } from './harness/browser.js';
import { createRepo, type GitServer, startGitServer } from './harness/git-server.js';
import { api, request, waitForPhase } from './harness/http.js';
import { podmanExec } from './harness/tree.js';

interface Ws {
  id: string;
  instance: { id: string; phase: string; failed: string | null } | null;
  ports: { port: number; url: string; visibility: string; served: boolean }[];
  config?: { origin: string; file?: string; warnings: { message: string }[] } | null;
}

const BASE = 'localhost/atelier-workspace:bookworm';
let git: GitServer;
let registry: TestRegistry;
let atelier: AtelierProcess;
let token: string;
let browser: Browser;
let page: Page;

describe('images built from the repository', {
  skip: !hasRegistry() && 'docker-registry is not installed',
}, () => {
  before(async () => {
    git = await startGitServer();
    registry = await startTestRegistry();
    createRepo(git.root, 'gitpod-image', {
      '.gitpod.yml': [
        'image:',
        '  file: .gitpod.Dockerfile',
        'tasks:',
        '  - name: public server',
        '    init: echo init-ran >> init.log',
        '    command: python3 -m http.server 8000',
        '  - name: private server',
        '    command: python3 -m http.server 8001',
        '  - name: image check',
        '    before: cat /opt/from-dockerfile > from-image.txt',
        'ports:',
        '  - port: 8000',
        '    visibility: public',
        '  - port: 8001',
        '    visibility: private',
      ].join('\n'),
      '.gitpod.Dockerfile': `FROM ${BASE}\nUSER root\nCOPY tools/banner.txt /opt/banner.txt\nRUN echo "built by the Dockerfile: $(cat /opt/banner.txt)" > /opt/from-dockerfile\nUSER gitpod\n`,
      'tools/banner.txt': 'gitpod-image\n',
    });
    createRepo(git.root, 'devcontainer-image', {
      '.devcontainer/devcontainer.json': [
        '{',
        '  // JSON with comments, as VS Code writes it',
        '  "build": { "dockerfile": "Dockerfile", "context": ".." },',
        '  "features": { "./greeter": { "greeting": "hola" } },',
        '  "postCreateCommand": "cat /opt/greeter/out > post-create.txt",',
        '  "forwardPorts": [3000],',
        '}',
      ].join('\n'),
      '.devcontainer/Dockerfile': `FROM ${BASE}\nUSER root\nRUN echo dockerfile > /opt/devcontainer-dockerfile\nUSER gitpod\n`,
      '.devcontainer/greeter/devcontainer-feature.json': JSON.stringify({
        id: 'greeter',
        version: '1.0.0',
        options: { greeting: { type: 'string', default: 'hello' } },
      }),
      '.devcontainer/greeter/install.sh':
        '#!/bin/sh\nset -e\nmkdir -p /opt/greeter\necho "$GREETING from the feature, for $_REMOTE_USER" > /opt/greeter/out\n',
    });
    createRepo(git.root, 'both-files', {
      '.gitpod.yml': 'tasks:\n  - init: echo from-gitpod-yml > chosen.txt\n',
      '.devcontainer.json': '{ "postCreateCommand": "echo from-devcontainer > chosen.txt" }',
    });
    createRepo(git.root, 'broken-build', {
      '.gitpod.yml': 'image:\n  file: docker/Dockerfile\n  context: docker\n',
      'docker/Dockerfile': `FROM ${BASE}\nRUN echo "compiling the toolchain" && exit 7\n`,
    });
    // a named image in a registry that wants credentials: Atelier pulls it with the configured ones
    const named = `${registry.host}/atelier/named:1`;
    execFileSync('podman', ['tag', BASE, named]);
    execFileSync('podman', ['push', '-q', '--creds', `${registry.username}:${registry.password}`, named]);
    execFileSync('podman', ['rmi', named]);
    createRepo(git.root, 'named-image', {
      '.gitpod.yml': `image: ${named}\ntasks:\n  - init: echo named > named.txt\n`,
    });
    atelier = await AtelierProcess.start({
      name: 'images',
      extraConfig: [
        'containerRegistry:',
        '  external:',
        `    url: ${registry.host}/atelier`,
        `    credentials: { username: ${registry.username}, password: ${registry.password} }`,
      ].join('\n'),
    });
    token = await atelier.createUser('images-user');
    browser = await launchBrowser();
    page = await signedInPage(browser, atelier.url, 'images-user');
  });

  after(async () => {
    await browser?.close();
    await atelier?.dispose();
    await registry?.stop();
    await git?.close();
  });

  async function create(repo: string): Promise<string> {
    const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
      contextUrl: `${git.url}/${repo}.git`,
    });
    return id;
  }

  const waitFor = (id: string, phase: string) =>
    waitForPhase<Ws>(atelier.url, token, id, phase, { timeoutMs: 300_000 });

  async function buildLog(id: string): Promise<string> {
    const reply = await request(`${atelier.url}/api/v1/workspaces/${id}/build-log`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(reply.status, 200);
    return reply.body;
  }

  /** A file of the checkout once it exists (tasks write it a moment after running). */
  async function readFile(ws: Ws, path: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const out = await podmanExec(
        `atelier-ws-${ws.instance?.id}`,
        'gitpod',
        `cat ${path} 2>/dev/null || true`,
      );
      if (out.trim()) return out.trim();
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${path} was not written`);
  }

  async function httpGet(url: string): Promise<number> {
    for (let i = 0; i < 100; i++) {
      const reply = await request(url);
      if (reply.status !== 502 && reply.status !== 503 && reply.status !== 404) return reply.status;
      await new Promise((r) => setTimeout(r, 100));
    }
    return (await request(url)).status;
  }

  test('(a) .gitpod.yml: Dockerfile image built and pushed, three tasks, a public and a private port; a second start does not build, one opened with imagebuild/ does; a removed image is pulled back', {
    timeout: 600_000,
  }, async () => {
    const id = await create('gitpod-image');
    const ws = await waitFor(id, 'running');
    const log = await buildLog(id);
    assert.match(log, /building \.gitpod\.Dockerfile/);
    assert.match(log, /COPY tools\/banner\.txt/);
    assert.match(log, /pushing 127\.0\.0\.1:\d+\/atelier\/workspace-images:[0-9a-f]{64}/);
    assert.equal(
      await readFile(ws, '/workspace/gitpod-image/from-image.txt'),
      'built by the Dockerfile: gitpod-image',
    );
    assert.equal(await readFile(ws, '/workspace/gitpod-image/init.log'), 'init-ran');

    const port = (n: number) => ws.ports.find((p) => p.port === n);
    assert.equal(port(8000)?.visibility, 'public');
    assert.equal(port(8001)?.visibility, 'private');
    assert.equal(await httpGet(port(8000)?.url ?? ''), 200, 'the public port answers without a cookie');
    assert.equal(await httpGet(port(8001)?.url ?? ''), 401, 'the private port does not');

    const image = execFileSync('podman', [
      'inspect',
      '--format',
      '{{.ImageName}}',
      `atelier-ws-${ws.instance?.id}`,
    ])
      .toString()
      .trim();
    assert.match(image, new RegExp(`^${registry.host}/atelier/workspace-images:[0-9a-f]{64}$`));

    // a second workspace of the same repository: the image is found, nothing is built
    const second = await create('gitpod-image');
    await waitFor(second, 'running');
    const secondLog = await buildLog(second);
    assert.match(secondLog, /using the cached image/);
    assert.doesNotMatch(secondLog, /STEP|COPY|pushing/);

    // imagebuild/ in front of the context: built again although an image of that content is cached
    const { id: forced } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
      contextUrl: `imagebuild/${git.url}/gitpod-image.git`,
    });
    await waitFor(forced, 'running');
    const forcedLog = await buildLog(forced);
    assert.match(
      forcedLog,
      /building again although .* may be cached: the workspace was opened with imagebuild\//,
    );
    assert.match(forcedLog, /COPY tools\/banner\.txt/);
    await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${forced}`);

    // without the local copy, the next start pulls it from the registry (with basic auth)
    await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${second}`);
    await api(atelier.url, token, 'POST', `/api/v1/workspaces/${id}/stop`);
    await waitFor(id, 'stopped');
    execFileSync('podman', ['rmi', '-f', image]);
    await api(atelier.url, token, 'POST', `/api/v1/workspaces/${id}/start`);
    const restarted = await waitFor(id, 'running');
    assert.doesNotMatch(await buildLog(id), /STEP|COPY/);
    execFileSync('podman', ['image', 'exists', image]);
    assert.equal(
      await readFile(restarted, '/workspace/gitpod-image/from-image.txt'),
      'built by the Dockerfile: gitpod-image',
    );
    await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
  });

  test('(b) devcontainer.json: build.dockerfile, a local feature with an option, postCreateCommand, forwardPorts', {
    timeout: 600_000,
  }, async () => {
    const id = await create('devcontainer-image');
    // the start page shows the build as it happens
    await page.goto(`${atelier.url}/start/${id}`);
    await page
      .getByTestId('build-log-output')
      .filter({ hasText: 'installing 1 feature(s)' })
      .waitFor({ timeout: 120_000 });
    await screenshot(page, 'images-build-log-live');
    const ws = await waitFor(id, 'running');
    const log = await buildLog(id);
    assert.match(log, /installing 1 feature\(s\): \.\/\.devcontainer\/greeter/);
    assert.equal(
      await readFile(ws, '/workspace/devcontainer-image/post-create.txt'),
      'hola from the feature, for gitpod',
    );
    assert.equal(await readFile(ws, '/opt/devcontainer-dockerfile'), 'dockerfile');
    const forwarded = ws.ports.find((p) => p.port === 3000);
    assert.ok(forwarded, 'forwardPorts are listed before anything serves them');
    assert.equal(forwarded.served, false);
    await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
  });

  test('a named image from a registry with basic auth is pulled with the configured credentials', {
    timeout: 300_000,
  }, async () => {
    const id = await create('named-image');
    const ws = await waitFor(id, 'running');
    assert.equal(await readFile(ws, '/workspace/named-image/named.txt'), 'named');
    assert.equal(await buildLog(id), '', 'a named image is not built');
    await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
  });

  test('a failing build fails the start with the failing step named; the build log is kept', {
    timeout: 300_000,
  }, async () => {
    const id = await create('broken-build');
    let failed = '';
    for (let i = 0; i < 600 && !failed; i++) {
      const ws = await api<Ws>(atelier.url, token, 'GET', `/api/v1/workspaces/${id}`);
      failed = ws.instance?.failed ?? '';
      if (!failed) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(failed, /the image build failed: .*exit 7/);
    // the start page keeps the log of the failed build next to the failure
    await page.goto(`${atelier.url}/start/${id}`);
    await page.getByTestId('start-error').waitFor();
    await page.getByTestId('build-log-output').filter({ hasText: 'compiling the toolchain' }).waitFor();
    await screenshot(page, 'images-build-failed');
    const log = await buildLog(id);
    assert.match(log, /compiling the toolchain/);
    assert.match(log, /the image build failed/);
    await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
  });

  test('(c) both files: .gitpod.yml configures the workspace and the API says devcontainer.json is not used', {
    timeout: 300_000,
  }, async () => {
    const id = await create('both-files');
    const ws = await waitFor(id, 'running');
    assert.equal(await readFile(ws, '/workspace/both-files/chosen.txt'), 'from-gitpod-yml');
    assert.equal(ws.config?.origin, 'gitpod');
    assert.match(ws.config?.warnings[0]?.message ?? '', /\.devcontainer\.json is not used/);
    await api(atelier.url, token, 'DELETE', `/api/v1/workspaces/${id}`);
  });
});
