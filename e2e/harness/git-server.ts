// A real git server for tests: `git http-backend` (smart HTTP) behind a node HTTP server on loopback.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GitServer {
  /** e.g. http://127.0.0.1:41234 — repositories are at `${url}/<name>.git` */
  url: string;
  root: string;
  close(): Promise<void>;
}

export async function startGitServer(root = mkdtempSync(join(tmpdir(), 'atelier-git-'))): Promise<GitServer> {
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
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        REMOTE_USER: 'tester',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const [name, value] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (name.toLowerCase() === 'status') res.statusCode = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => res.end());
    child.on('error', () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    root,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Creates `<root>/<name>.git` with the given files committed on `main` (and extra branches). */
export function createRepo(
  root: string,
  name: string,
  files: Record<string, string | Uint8Array>,
  branches: Record<string, Record<string, string>> = {},
): string {
  const work = mkdtempSync(join(tmpdir(), 'atelier-repo-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: work,
      stdio: 'pipe',
    });
  git('init', '-q', '-b', 'main');
  const write = (content: Record<string, string | Uint8Array>) => {
    for (const [path, text] of Object.entries(content)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), text);
    }
    git('add', '-A');
  };
  write(files);
  git('commit', '-q', '-m', 'initial');
  for (const [branch, content] of Object.entries(branches)) {
    git('checkout', '-q', '-b', branch, 'main');
    write(content);
    git('commit', '-q', '-m', `on ${branch}`);
  }
  git('checkout', '-q', 'main');
  const bare = join(root, `${name}.git`);
  execFileSync('git', ['clone', '-q', '--bare', work, bare]);
  execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: bare });
  // as GitHub and GitLab do: clients may fetch without blobs (config files, image cache checks)
  execFileSync('git', ['config', 'uploadpack.allowFilter', 'true'], { cwd: bare });
  return bare;
}
