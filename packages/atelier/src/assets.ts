// Where this process finds the built dashboard (packages/dashboard/dist), if it was built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function dashboardDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
  return existsSync(`${dir}/index.html`) ? dir : undefined;
}
