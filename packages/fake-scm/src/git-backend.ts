// Git smart HTTP for the fakes: runs `git http-backend` (CGI) for one request and relays its answer.
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface GitBackendRequest {
  /** folder holding the bare repositories (GIT_PROJECT_ROOT) */
  projectRoot: string;
  /** path below the root, e.g. `/octo/hello.git/info/refs` */
  pathInfo: string;
  query: string;
  /** the authenticated login, if any (REMOTE_USER) */
  remoteUser?: string;
  /** runs after git has answered, before the response ends (so a client sees its effects logged) */
  beforeEnd?: () => Promise<void>;
}

/** Serves one smart-HTTP request; resolves when the response has been sent. */
export function serveGit(req: IncomingMessage, res: ServerResponse, git: GitBackendRequest): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], { env: cgiEnv(req, git), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    req.pipe(child.stdin);
    child.stdin.on('error', () => {
      // http-backend may exit before reading the whole body (e.g. a refused service); its answer still counts
    });
    relayCgiOutput(child.stdout, res, git.beforeEnd);
    child.on('error', (err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`cannot run git http-backend: ${err.message}\n`);
    });
    res.on('close', () => resolve());
    child.on('close', (code) => {
      if (res.headersSent) return; // the stdout relay ends the response
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend exited with ${code} without an answer: ${stderr.trim()}\n`);
    });
  });
}

function cgiEnv(req: IncomingMessage, git: GitBackendRequest): NodeJS.ProcessEnv {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: git.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: git.pathInfo,
    QUERY_STRING: git.query,
    CONTENT_TYPE: header('content-type'),
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
    GIT_PROTOCOL: header('git-protocol'),
    HTTP_CONTENT_ENCODING: header('content-encoding'),
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = header('content-length');
  if (git.remoteUser) env.REMOTE_USER = git.remoteUser;
  return env;
}

/** CGI output is `Header: value` lines, a blank line, then the body; `Status:` sets the status code. */
function relayCgiOutput(
  stdout: NodeJS.ReadableStream,
  res: ServerResponse,
  beforeEnd: (() => Promise<void>) | undefined,
): void {
  let head = Buffer.alloc(0);
  let headersDone = false;
  stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf : lf;
    if (end === -1) return;
    headersDone = true;
    const sep = end === crlf ? 4 : 2;
    res.statusCode = 200;
    for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i <= 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') res.statusCode = Number.parseInt(value, 10) || 500;
      else res.setHeader(name, value);
    }
    res.write(head.subarray(end + sep));
  });
  stdout.on('end', () => {
    if (!headersDone) return;
    (beforeEnd ?? (async () => {}))().finally(() => res.end());
  });
}
