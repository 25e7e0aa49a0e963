// Test harness: Debian's docker-registry (the CNCF distribution registry) on loopback with
// htpasswd basic auth, and a way to publish a dev container feature into it as an OCI artifact.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRegistry {
  /** 127.0.0.1:<port> */
  host: string;
  username: string;
  password: string;
  dir: string;
  stop(): Promise<void>;
}

export function hasRegistry(): boolean {
  try {
    execFileSync('docker-registry', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The registry wants bcrypt in its htpasswd file; Debian's libxcrypt makes it through Python's crypt. */
function bcrypt(password: string): string {
  const script =
    'import crypt,sys,warnings; warnings.simplefilter("ignore"); print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))';
  return execFileSync('python3', ['-c', script, password], { encoding: 'utf8' }).trim();
}

export async function startTestRegistry(
  opts: { username?: string; password?: string } = {},
): Promise<TestRegistry> {
  const username = opts.username ?? 'atelier';
  const password = opts.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const dir = mkdtempSync(join(tmpdir(), 'atelier-registry-'));
  const port = await freePort();
  writeFileSync(join(dir, 'htpasswd'), `${username}:${bcrypt(password)}\n`);
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      `auth: { htpasswd: { realm: atelier-test, path: ${join(dir, 'htpasswd')} } }`,
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await fetch(`http://${host}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `docker-registry did not start on ${host}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    username,
    password,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Publishes a dev container feature (the tar of its folder) as the spec's OCI artifact:
 * a config blob, one layer of type application/vnd.devcontainers.layer.v1+tar, and the manifest.
 */
export async function pushFeature(
  registry: TestRegistry,
  repository: string,
  tag: string,
  layer: Buffer,
): Promise<string> {
  const auth = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  const base = `http://${registry.host}/v2/${repository}`;
  const upload = async (blob: Buffer) => {
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers: { authorization: auth } });
    if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status}`);
    const location = new URL(start.headers.get('location') ?? '', `http://${registry.host}`);
    location.searchParams.set('digest', sha256(blob));
    const put = await fetch(location, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/octet-stream' },
      body: blob,
    });
    if (put.status !== 201) throw new Error(`upload: HTTP ${put.status} ${await put.text()}`);
    return { digest: sha256(blob), size: blob.length };
  };
  const config = Buffer.from('{}');
  const configBlob = await upload(config);
  const layerBlob = await upload(layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.devcontainers', ...configBlob },
      layers: [
        {
          mediaType: 'application/vnd.devcontainers.layer.v1+tar',
          ...layerBlob,
          annotations: { 'org.opencontainers.image.title': `${repository.split('/').pop()}.tgz` },
        },
      ],
    }),
  );
  const put = await fetch(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { authorization: auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest: HTTP ${put.status} ${await put.text()}`);
  return sha256(manifest);
}
