// Serves the built dashboard: files by path, index.html for every other path (the SPA's router),
// long-lived caching for hashed assets.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { AppError } from '@atelier/protocol';
import type { Handler } from 'hono';
import type { AppEnv } from './app-env.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

async function fileAt(path: string): Promise<{ path: string; size: number } | undefined> {
  const found = await stat(path).catch(() => undefined);
  return found?.isFile() ? { path, size: found.size } : undefined;
}

/** The file a URL path names inside root, or undefined for anything that escapes it or is missing. */
async function resolveFile(
  root: string,
  urlPath: string,
): Promise<{ path: string; size: number } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined; // a malformed escape cannot name a file; the SPA fallback answers
  }
  if (decoded.includes('\0')) return undefined;
  const path = resolve(root, `.${decoded}`);
  if (path !== root && !path.startsWith(root + sep)) return undefined;
  return fileAt(path);
}

export function dashboardFiles(dashboardDir: string | undefined): Handler<AppEnv> {
  const root = dashboardDir === undefined ? undefined : resolve(dashboardDir);
  return async (c) => {
    if (root === undefined) {
      throw new AppError('not_found', 'this server has no dashboard built; use the API under /api/v1');
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      throw new AppError('not_found', `no route ${c.req.method} ${c.req.path}`);
    }
    const urlPath = c.req.path;
    const found = await resolveFile(root, urlPath);
    if (!found && urlPath.startsWith('/assets/')) throw new AppError('not_found', `no file ${urlPath}`);
    const file = found ?? (await fileAt(join(root, 'index.html')));
    if (!file) throw new AppError('not_found', `the dashboard in ${root} has no index.html`);
    const isIndex = file.path === join(root, 'index.html');
    const headers: Record<string, string> = {
      'Content-Type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(file.size),
      'Cache-Control':
        !isIndex && urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    const body = Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, headers);
  };
}
