// Public door of @atelier/supervisor for the host: where the built bundle lives (no server code here).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@atelier/protocol';

/** Absolute path of dist/ (supervisor.cjs, node_modules/node-pty, frontend/), to bind-mount at /.supervisor. */
export function supervisorDistDir(): string {
  const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  if (!existsSync(join(dist, 'supervisor.cjs'))) {
    throw new AppError('failed_precondition', 'the supervisor is not built: run npm run build');
  }
  return dist;
}
