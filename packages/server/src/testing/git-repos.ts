// Real git repositories for the server's tests: made with `git init` in temporary folders, and
// served over smart HTTP by `git http-backend` behind a node HTTP server on loopback.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    stdio: 'pipe',
  }).toString();

/**
 * A bare repository `<root>/<name>.git` with one commit on `main` (README.md and `files`) and a tag
 * `v1`; empty: no commits.
 */
export function makeRepo(
  root: string,
  name: string,
  options: { empty?: boolean; files?: Record<string, string> } = {},
): string {
  const bare = join(root, `${name}.git`);
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  git(bare, 'config', 'uploadpack.allowFilter', 'true'); // as GitHub and GitLab: fetches without blobs
  if (options.empty) return bare;
  const work = mkdtempSync(join(tmpdir(), 'atelier-work-'));
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(join(work, 'README.md'), `# ${name}\n`);
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'initial');
  git(work, 'tag', 'v1');
  git(work, 'push', '-q', bare, 'main', 'v1');
  return bare;
}

/** Serves every repository under root at `${url}/<name>.git` (git http-backend, read-only). */
export async function serveRepos(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://git');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    });
    req.pipe(child.stdin);
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('close', () => {
      const all = Buffer.concat(out);
      const end = all.indexOf('\r\n\r\n');
      for (const line of all.subarray(0, end).toString().split('\r\n')) {
        const [name = '', value = ''] = line.split(/:\s*/, 2);
        if (name.toLowerCase() === 'status') res.statusCode = Number.parseInt(value, 10);
        else if (name) res.setHeader(name, value);
      }
      res.end(all.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
