// The built-in terminal page, the page shown while VS Code starts, and their static files.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { AppError } from '@atelier/protocol';

export const FRONTEND_PREFIX = '/_supervisor/frontend/';

const FILES: Record<string, string> = {
  'terminal.js': 'text/javascript; charset=utf-8',
  'xterm.css': 'text/css; charset=utf-8',
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function terminalPage(workspaceId: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(workspaceId)}</title>
<link rel="stylesheet" href="${FRONTEND_PREFIX}xterm.css">
<style>
  html, body { margin: 0; height: 100%; background: #1e1e1e; color: #ccc; font: 12px system-ui, sans-serif; }
  body { display: flex; flex-direction: column; }
  #terminal { flex: 1; min-height: 0; padding: 4px; box-sizing: border-box; }
  #status { padding: 2px 8px; background: #007acc; color: #fff; white-space: nowrap; overflow: hidden; }
  #status[data-state="disconnected"], #status[data-state="exit"] { background: #a1260d; }
</style>
</head>
<body>
<div id="terminal"></div>
<div id="status" data-state="connecting">connecting…</div>
<script src="${FRONTEND_PREFIX}terminal.js"></script>
</body>
</html>
`;
}

export function sendPage(res: ServerResponse, workspaceId: string): void {
  const html = terminalPage(workspaceId);
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
  });
  res.end(html);
}

export async function sendFrontendFile(
  res: ServerResponse,
  frontendDir: string,
  name: string,
): Promise<void> {
  const type = FILES[name];
  if (!type) throw new AppError('not_found', `no such file: ${FRONTEND_PREFIX}${name}`);
  let body: Buffer;
  try {
    body = await readFile(join(frontendDir, name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new AppError(
      'failed_precondition',
      `the terminal frontend is not built (${name} missing): run npm run build`,
    );
  }
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' });
  res.end(body);
}

/** While VS Code starts (or when it failed): a page that says so and reloads until it answers. */
export function sendIdeStartingPage(res: ServerResponse, workspaceId: string, error: string | null): void {
  const message = error
    ? `VS Code could not start: ${escapeHtml(error)}. The terminal still works.`
    : 'VS Code is starting…';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${error ? '' : '<meta http-equiv="refresh" content="1">'}
<title>${escapeHtml(workspaceId)}</title>
<style>
  html, body { margin: 0; height: 100%; background: #1e1e1e; color: #ccc; font: 14px system-ui, sans-serif; }
  body { display: flex; align-items: center; justify-content: center; flex-direction: column; gap: 12px; }
  a { color: #4fc1ff; }
</style>
</head>
<body>
<p id="ide-status">${message}</p>
<p><a href="/_supervisor/terminal">Open a terminal instead</a></p>
</body>
</html>
`;
  res.writeHead(error ? 500 : 503, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    ...(error ? {} : { 'retry-after': '1' }),
  });
  res.end(html);
}
